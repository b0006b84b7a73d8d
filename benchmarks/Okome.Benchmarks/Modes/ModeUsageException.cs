namespace Okome.Benchmarks.Modes;

/// <summary>A command-line mode was called with bad arguments; the message says which.</summary>
public sealed class ModeUsageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModeUsageException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ModeUsageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ModeUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
