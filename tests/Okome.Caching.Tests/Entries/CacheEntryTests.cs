using Okome.Caching.Entries;

namespace Okome.Caching.Tests.Entries;

public sealed class CacheEntryTests
{
    private static readonly DateTimeOffset s_t0 = TestEntries.Created;

    private static CacheEntry Create(
        int statusCode = 200,
        int freshSeconds = 60,
        int staleSeconds = 120,
        int errorSeconds = 300,
        string? etag = null,
        IEnumerable<KeyValuePair<string, string>>? headers = null,
        IEnumerable<ReadOnlyMemory<byte>>? chunks = null,
        int createdOffsetSeconds = 0)
        => new(
            TestEntries.KeyHash,
            statusCode,
            s_t0.AddSeconds(createdOffsetSeconds),
            s_t0.AddSeconds(freshSeconds),
            s_t0.AddSeconds(staleSeconds),
            s_t0.AddSeconds(errorSeconds),
            etag,
            headers ?? [],
            chunks ?? [],
            isStreamed: false);

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(99)]
    [InlineData(600)]
    [InlineData(int.MaxValue)]
    public void Constructor_StatusCodeOutOfRange_ThrowsNamingStatusCode(int statusCode)
    {
        var act = () => Create(statusCode: statusCode);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(statusCode));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(599)]
    public void Constructor_StatusCodeAtBounds_Accepts(int statusCode)
    {
        Create(statusCode: statusCode).StatusCode.Should().Be(statusCode);
    }

    [Theory]
    [InlineData(61, 60, 120, 300, "freshUntil")] // created after fresh-until
    [InlineData(0, 60, 59, 300, "staleUntil")] // stale window ends before freshness
    [InlineData(0, 60, 120, 59, "errorUntil")] // error window ends before freshness
    public void Constructor_TimesOutOfOrder_ThrowsNamingTheArgument(int created, int fresh, int stale, int error, string parameter)
    {
        var act = () => Create(createdOffsetSeconds: created, freshSeconds: fresh, staleSeconds: stale, errorSeconds: error);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(parameter);
    }

    [Fact]
    public void Constructor_ErrorWindowShorterThanStaleWindow_Accepts()
    {
        var entry = Create(freshSeconds: 60, staleSeconds: 600, errorSeconds: 60);

        entry.StoreUntil.Should().Be(s_t0.AddSeconds(600));
    }

    [Fact]
    public void Constructor_NullLists_ThrowNamingTheArgument()
    {
        var nullHeaders = () => new CacheEntry(TestEntries.KeyHash, 200, s_t0, s_t0, s_t0, s_t0, null, null!, [], false);
        var nullChunks = () => new CacheEntry(TestEntries.KeyHash, 200, s_t0, s_t0, s_t0, s_t0, null, [], null!, false);

        nullHeaders.Should().Throw<ArgumentNullException>().WithParameterName("headers");
        nullChunks.Should().Throw<ArgumentNullException>().WithParameterName("chunks");
    }

    [Theory]
    [InlineData("", "v")]
    [InlineData("x-a\r\nx-b", "v")]
    [InlineData("x-a", "v\r\nSet-Cookie: a=b")]
    [InlineData("x-a", "v\0")]
    [InlineData("x-a", "lone {HIGH} surrogate")]
    [InlineData("x-{LOW}", "v")]
    public void Constructor_InvalidHeader_ThrowsNamingHeaders(string name, string value)
    {
        // Attribute strings are stored as UTF-8, so a lone surrogate cannot be written in [InlineData] itself.
        var act = () => Create(headers: [new(WithSurrogates(name), WithSurrogates(value))]);

        act.Should().Throw<ArgumentException>().WithParameterName("headers");
    }

    [Fact]
    public void Constructor_NullHeaderValue_ThrowsNamingHeaders()
    {
        var act = () => Create(headers: [new("x-a", null!)]);

        act.Should().Throw<ArgumentNullException>().WithParameterName("headers");
    }

    [Fact]
    public void Constructor_TooManyHeaders_ThrowsNamingHeaders()
    {
        var headers = Enumerable.Range(0, CacheEntry.MaxHeaderCount + 1).Select(i => new KeyValuePair<string, string>($"x-{i}", "v"));

        var act = () => Create(headers: headers);

        act.Should().Throw<ArgumentException>().WithParameterName("headers");
    }

    [Fact]
    public void Constructor_HeadersOverByteLimit_ThrowsNamingHeaders()
    {
        var act = () => Create(headers: [new("x-big", new string('a', CacheEntry.MaxHeaderBytes))]);

        act.Should().Throw<ArgumentException>().WithParameterName("headers");
    }

    [Theory]
    [InlineData("\"a\"\r\n")]
    [InlineData("{LOW}")]
    [InlineData("\"{HIGH}\"")]
    public void Constructor_InvalidETag_ThrowsNamingETag(string etag)
    {
        var act = () => Create(etag: WithSurrogates(etag));

        act.Should().Throw<ArgumentException>().WithParameterName(nameof(etag));
    }

    [Fact]
    public void Constructor_ETagOverLimit_ThrowsNamingETag()
    {
        var act = () => Create(etag: new string('e', CacheEntry.MaxETagBytes + 1));

        act.Should().Throw<ArgumentException>().WithParameterName("etag");
    }

    [Fact]
    public void Constructor_TooManyChunks_ThrowsNamingChunks()
    {
        var act = () => Create(chunks: Enumerable.Repeat(ReadOnlyMemory<byte>.Empty, CacheEntry.MaxChunkCount + 1));

        act.Should().Throw<ArgumentException>().WithParameterName("chunks");
    }

    [Fact]
    public void Constructor_CallerChangesItsBuffersAfterwards_EntryDoesNotChange()
    {
        var body = new byte[] { 1, 2, 3 };
        var headers = new List<KeyValuePair<string, string>> { new("content-type", "text/plain") };
        var chunks = new List<ReadOnlyMemory<byte>> { body };

        var entry = Create(headers: headers, chunks: chunks);
        body[0] = 99;
        headers.Add(new("x-later", "v"));
        chunks.Add(new byte[] { 4 });

        entry.Chunks.Should().ContainSingle().Which.ToArray().Should().Equal(1, 2, 3);
        entry.Headers.Should().ContainSingle();
        entry.PayloadLength.Should().Be(3);
    }

    [Fact]
    public void Lists_CannotBeChangedThroughACast()
    {
        var entry = TestEntries.Streamed();

        entry.Headers.Should().NotBeAssignableTo<KeyValuePair<string, string>[]>();
        entry.Chunks.Should().NotBeAssignableTo<ReadOnlyMemory<byte>[]>();
        ((ICollection<ReadOnlyMemory<byte>>)entry.Chunks).IsReadOnly.Should().BeTrue();
    }

    [Fact]
    public void Lists_ReadFromManyThreads_AreOneViewEach()
    {
        var bytes = CacheEntrySerializer.Serialize(TestEntries.Streamed());
        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out var entry).Should().Be(EntryReadStatus.Ok);

        // The views are built on first use; every caller must still get the same one.
        var chunkViews = new IReadOnlyList<ReadOnlyMemory<byte>>[64];
        var headerViews = new IReadOnlyList<KeyValuePair<string, string>>[64];
        Parallel.For(0, 64, i =>
        {
            chunkViews[i] = entry!.Chunks;
            headerViews[i] = entry.Headers;
        });

        chunkViews.Distinct().Should().ContainSingle().Which.Should().HaveCount(TestEntries.Streamed().Chunks.Count);
        headerViews.Distinct().Should().ContainSingle().Which.Should().Equal(TestEntries.Streamed().Headers);
    }

    [Fact]
    public void Constructor_Times_AreUtcAtMillisecondPrecision()
    {
        var created = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.FromHours(9)).AddTicks(12_345); // 1.2345 ms

        var entry = new CacheEntry(TestEntries.KeyHash, 200, created, created, created, created, null, [], ReadOnlyMemory<byte>.Empty);

        entry.Created.Offset.Should().Be(TimeSpan.Zero);
        entry.Created.Should().Be(new DateTimeOffset(2025, 6, 1, 3, 0, 0, 1, TimeSpan.Zero));
    }

    [Fact]
    public void Constructor_SingleBody_IsOneChunkNotStreamed()
    {
        var entry = new CacheEntry(TestEntries.KeyHash, 200, s_t0, s_t0, s_t0, s_t0, null, [], new byte[] { 1, 2 });

        entry.IsStreamed.Should().BeFalse();
        entry.Chunks.Should().ContainSingle();
        entry.PayloadLength.Should().Be(2);
    }

    [Fact]
    public void PayloadLength_IsTheSumOfChunkLengths()
    {
        TestEntries.Streamed().PayloadLength.Should().Be(25 + 0 + 14);
    }

    [Fact]
    public void Helpers_AtFixedTimes_FollowTheWindows()
    {
        // fresh 60 s, stale-while-revalidate until 120 s, stale-if-error until 300 s.
        var entry = Create(freshSeconds: 60, staleSeconds: 120, errorSeconds: 300);

        (bool Fresh, bool Stale, bool Error) At(int seconds)
        {
            var now = s_t0.AddSeconds(seconds);
            return (entry.IsFresh(now), entry.IsUsableStale(now), entry.IsUsableOnError(now));
        }

        At(0).Should().Be((true, true, true));
        At(59).Should().Be((true, true, true));
        At(60).Should().Be((false, true, true));
        At(119).Should().Be((false, true, true));
        At(120).Should().Be((false, false, true));
        At(299).Should().Be((false, false, true));
        At(300).Should().Be((false, false, false));
        entry.StoreUntil.Should().Be(s_t0.AddSeconds(300));
    }

    [Fact]
    public void Age_BeforeCreated_IsZero()
    {
        var entry = Create();

        entry.Age(s_t0.AddSeconds(-5)).Should().Be(TimeSpan.Zero);
        entry.Age(s_t0).Should().Be(TimeSpan.Zero);
        entry.Age(s_t0.AddSeconds(42)).Should().Be(TimeSpan.FromSeconds(42));
    }

    [Fact]
    public void TimeToLive_AfterFreshness_IsNegative()
    {
        var entry = Create(freshSeconds: 60);

        entry.TimeToLive(s_t0).Should().Be(TimeSpan.FromSeconds(60));
        entry.TimeToLive(s_t0.AddSeconds(90)).Should().Be(TimeSpan.FromSeconds(-30));
    }

    [Fact]
    public void Helpers_WithFakeTimeProvider_FollowTheClock()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(s_t0);
        var entry = Create(freshSeconds: 10, staleSeconds: 20, errorSeconds: 20);

        entry.IsFresh(time.GetUtcNow()).Should().BeTrue();
        time.Advance(TimeSpan.FromSeconds(15));
        entry.IsFresh(time.GetUtcNow()).Should().BeFalse();
        entry.IsUsableStale(time.GetUtcNow()).Should().BeTrue();
        entry.Age(time.GetUtcNow()).Should().Be(TimeSpan.FromSeconds(15));
    }

    private static string WithSurrogates(string text) => text.Replace("{HIGH}", "\uD800", StringComparison.Ordinal).Replace("{LOW}", "\uDC00", StringComparison.Ordinal);
}
