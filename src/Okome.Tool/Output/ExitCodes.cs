namespace Okome.Tool.Output;

/// <summary>The tool's exit codes (Spectre.Console.Cli itself returns -1 for a command line it cannot parse).</summary>
internal static class ExitCodes
{
    /// <summary>Everything worked.</summary>
    public const int Ok = 0;

    /// <summary>A check or an operation failed (a bad value, an unreachable server, a failed request).</summary>
    public const int Failed = 1;

    /// <summary>The tool could not start the work: a missing file, an unusable argument or configuration.</summary>
    public const int Usage = 2;
}
