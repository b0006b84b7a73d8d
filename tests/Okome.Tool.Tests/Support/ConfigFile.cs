using System.Text.Json;

namespace Okome.Tool.Tests.Support;

/// <summary>Writes an appsettings.json with an <c>Okome</c> section into a fresh folder.</summary>
public static class ConfigFile
{
    public static string Write(object okome)
    {
        var folder = Directory.CreateTempSubdirectory("okome-config-").FullName;
        var path = Path.Combine(folder, "appsettings.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { Okome = okome }));
        return path;
    }
}
