using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Okome.Planner.Sample.Hosting;

/// <summary>Tells the options monitor of <typeparamref name="TOptions"/> that <see cref="AppliedSettings"/> changed, so it configures them afresh.</summary>
internal sealed class AppliedSettingsChangeTokenSource<TOptions>(AppliedSettings settings) : IOptionsChangeTokenSource<TOptions>
{
    public string Name => Options.DefaultName;

    public IChangeToken GetChangeToken() => settings.GetChangeToken();
}
