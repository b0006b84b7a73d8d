using Microsoft.Extensions.Configuration;

namespace Okome.Planner.Sample.Tests.Hosting;

/// <summary>
/// A configuration provider a test changes while the service runs: <see cref="Set"/> changes keys and fires the provider's
/// reload token, as appsettings.json does when the file is saved (<c>reloadOnChange</c>). Added last, so its keys win.
/// </summary>
public sealed class ReloadableSettings : ConfigurationProvider, IConfigurationSource
{
    /// <summary>Sets <paramref name="settings"/> (a null value removes the key) and reloads the configuration.</summary>
    public void Set(params (string Key, object? Value)[] settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var (key, value) in settings)
        {
            if (value is null)
            {
                Data.Remove(key);
            }
            else
            {
                Data[key] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        OnReload();
    }

    /// <inheritdoc />
    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;
}
