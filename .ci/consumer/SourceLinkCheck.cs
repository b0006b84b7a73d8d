using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;

/// <summary>
/// Checks that a packed assembly carries Source Link: its embedded portable PDB holds the Source Link JSON
/// (custom debug information of kind <see cref="SourceLinkKind"/>) and that JSON maps the sources to the expected URL.
/// </summary>
internal static class SourceLinkCheck
{
    /// <summary>The Source Link custom debug information kind (portable PDB specification).</summary>
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    /// <summary>Returns null when the assembly is fine, else what is wrong.</summary>
    public static string? Problem(string assemblyPath, string expectedUrlPrefix)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var embedded = pe.ReadDebugDirectory().Where(entry => entry.Type == DebugDirectoryEntryType.EmbeddedPortablePdb).ToArray();
        if (embedded.Length == 0)
        {
            return $"{assemblyPath}: no embedded portable PDB";
        }

        using var pdb = pe.ReadEmbeddedPortablePdbDebugDirectoryData(embedded[0]);
        var reader = pdb.GetMetadataReader();
        foreach (var handle in reader.CustomDebugInformation)
        {
            var information = reader.GetCustomDebugInformation(handle);
            if (reader.GetGuid(information.Kind) != SourceLinkKind)
            {
                continue;
            }

            var json = Encoding.UTF8.GetString(reader.GetBlobBytes(information.Value));
            return json.Contains("\"documents\"", StringComparison.Ordinal) && json.Contains(expectedUrlPrefix, StringComparison.Ordinal)
                ? null
                : $"{assemblyPath}: the Source Link JSON does not map to {expectedUrlPrefix}: {json}";
        }

        return $"{assemblyPath}: the embedded PDB has no Source Link";
    }
}
