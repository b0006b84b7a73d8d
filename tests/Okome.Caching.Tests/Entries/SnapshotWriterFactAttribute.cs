namespace Okome.Caching.Tests.Entries;

/// <summary>
/// A fact that runs only when <c>OKOME_WRITE_SNAPSHOTS=1</c>: it regenerates a snapshot file in the source tree.
/// Run it by hand once per new format version, never to "fix" a failing snapshot test of a released version.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class SnapshotWriterFactAttribute : FactAttribute
{
    public const string EnvironmentVariable = "OKOME_WRITE_SNAPSHOTS";

    public SnapshotWriterFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) != "1")
        {
            Skip = $"Manual: set {EnvironmentVariable}=1 to regenerate the snapshot of a new, unreleased format version.";
        }
    }
}
