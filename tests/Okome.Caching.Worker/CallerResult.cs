namespace Okome.Caching.Worker;

/// <summary>What one caller got: its cache status (<c>Miss</c> when it called the upstream), whether it waited for another caller's call, and the body.</summary>
internal readonly record struct CallerResult(string Status, bool Collapsed, string Body);
