using System.Security.Cryptography;

namespace Okome.Budget.Stores;

/// <summary>Random lease ids: unguessable, so one holder cannot settle or release another's lease by accident.</summary>
internal static class LeaseIds
{
    private const int IdBytes = 16;

    // Random bytes are drawn from the cryptographic generator in blocks: one call costs about a microsecond (a system call),
    // as much as a whole in-memory decision, while slicing a block costs nothing. Per thread, so no lock.
    private const int BlockBytes = IdBytes * 256;

    [ThreadStatic]
    private static byte[]? t_block;

    [ThreadStatic]
    private static int t_next;

    /// <summary>A new lease id: 128 random bits as 32 lower-case hexadecimal digits.</summary>
    public static string Create()
    {
        var block = t_block;
        var next = t_next;
        if (block is null || next == BlockBytes)
        {
            block = t_block ??= new byte[BlockBytes];
            RandomNumberGenerator.Fill(block);
            next = 0;
        }

        var bytes = block.AsSpan(next, IdBytes);
        var id = Convert.ToHexStringLower(bytes);

        // Each id's bytes are used once: wipe them, so the block never holds an id that is still to be handed out twice.
        bytes.Clear();
        t_next = next + IdBytes;
        return id;
    }

    /// <summary>Whether <paramref name="leaseId"/> has the shape <see cref="Create"/> gives (so it can go into a key).</summary>
    public static bool IsValid(string? leaseId)
    {
        if (leaseId is not { Length: 32 })
        {
            return false;
        }

        foreach (var c in leaseId)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
