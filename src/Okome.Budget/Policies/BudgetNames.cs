namespace Okome.Budget.Policies;

/// <summary>The rule for policy and limit names: they become part of Redis keys and header values.</summary>
internal static class BudgetNames
{
    /// <summary>The longest name accepted.</summary>
    public const int MaxLength = 64;

    /// <summary>Throws unless <paramref name="name"/> is 1 to 64 ASCII letters, digits, '.', '-' or '_'.</summary>
    public static void Validate(string name, string parameterName)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, parameterName);
        if (name.Length > MaxLength)
        {
            throw new ArgumentException($"A budget name has at most {MaxLength} characters.", parameterName);
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            {
                throw new ArgumentException("A budget name holds only ASCII letters, digits, '.', '-' and '_'.", parameterName);
            }
        }
    }
}
