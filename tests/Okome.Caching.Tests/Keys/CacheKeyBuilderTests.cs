using System.Text;
using Okome.Caching.Keys;

namespace Okome.Caching.Tests.Keys;

public sealed class CacheKeyBuilderTests
{
    private const string ChatBody = """
        {"model":"llama-3-8b","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"What is 2+2?"}],
         "temperature":0,"max_tokens":64,"top_p":1.0,"stream":true,"user":"u-1","stop":["\n\n"],"seed":null}
        """;

    private static readonly CacheKeyBuilder Builder = new(new CacheKeyPolicy { SignificantHeaders = { "X-Model-Revision" } });

    private static CacheKeyRequest Request(string body, string? tenant = "tenant-a", string method = "POST", string route = "/v1/chat/completions", long version = 1, string @namespace = "chat")
        => new(@namespace, version, method, route, Encoding.UTF8.GetBytes(body)) { Tenant = tenant };

    private static CacheKey Key(string body, string? tenant = "tenant-a") => Builder.Build(Request(body, tenant));

    [Fact]
    public void Constructor_NullPolicy_Throws()
    {
        var act = () => new CacheKeyBuilder(null!);
        act.Should().Throw<ArgumentNullException>().WithParameterName("policy");
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Constructor_InvalidDefaultTemperature_Throws(double temperature)
    {
        var act = () => new CacheKeyBuilder(new CacheKeyPolicy { DefaultTemperature = temperature });
        act.Should().Throw<ArgumentException>().WithParameterName("policy").WithMessage("*DefaultTemperature*");
    }

    [Fact]
    public void Constructor_EmptyNames_ThrowsListingEveryError()
    {
        var policy = new CacheKeyPolicy { IgnoredBodyFields = { "" }, SignificantHeaders = { null! } };
        var act = () => new CacheKeyBuilder(policy);
        act.Should().Throw<ArgumentException>().WithMessage("*IgnoredBodyFields*SignificantHeaders*");
    }

    [Fact]
    public void Policy_Defaults_AreDocumentedValues()
    {
        var policy = new CacheKeyPolicy();
        policy.IgnoredBodyFields.Should().Equal("stream", "stream_options", "user", "request_id");
        policy.SignificantHeaders.Should().BeEmpty();
        policy.IsolateTenants.Should().BeTrue();
        policy.DefaultTemperature.Should().Be(1.0);
    }

    [Fact]
    public void Constructor_PolicyChangedAfterwards_KeepsItsCopy()
    {
        var policy = new CacheKeyPolicy();
        var builder = new CacheKeyBuilder(policy);
        var before = builder.Build(Request("""{"a":1,"stream":true}"""));
        policy.IgnoredBodyFields.Clear();
        policy.IsolateTenants = false;
        builder.Build(Request("""{"a":1,"stream":true}""")).Should().Be(before);
    }

    [Fact]
    public void Build_DefaultRequest_Throws()
    {
        var act = () => Builder.Build(default);
        act.Should().Throw<ArgumentException>().WithParameterName("request");
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{\"a\":}")]
    [InlineData("{\"a\":1}{}")]
    [InlineData("{'a':1}")]
    [InlineData("{\"a\":1,}")]
    [InlineData("nul")]
    [InlineData("{\"a\":\"\\uD800\"}")]
    public void TryBuild_InvalidJson_ReturnsFalse(string body)
    {
        Builder.TryBuild(Request(body), out var key).Should().BeFalse();
        key.IsEmpty.Should().BeTrue();
        var act = () => Builder.Build(Request(body));
        act.Should().Throw<FormatException>();
    }

    [Fact]
    public void Build_EmptyBody_DiffersFromEmptyObject()
        => Key("").Should().NotBe(Key("{}"));

    [Fact]
    public void Build_SameRequest_IsStableAcrossCallsAndBuilders()
    {
        var other = new CacheKeyBuilder(new CacheKeyPolicy { SignificantHeaders = { "x-model-revision" } });
        Key(ChatBody).Should().Be(Key(ChatBody)).And.Be(other.Build(Request(ChatBody)));
        Key(ChatBody).Namespace.Should().Be("chat");
    }

    [Theory]
    [InlineData("""{"a":1,"b":2}""", """{"b":2,"a":1}""")]
    [InlineData("""{"a":1}""", """ { "a" : 1.0 } """)]
    [InlineData("""{"a":1}""", """{"a":1e0}""")]
    [InlineData("""{"a":1}""", """{"a":10E-1}""")]
    [InlineData("""{"a":0}""", """{"a":-0.0}""")]
    [InlineData("""{"a":0.5}""", """{"a":5e-1}""")]
    [InlineData("""{"a":100}""", """{"a":1e2}""")]
    [InlineData("""{"a":0.001}""", """{"a":1E-3}""")]
    [InlineData("""{"a":-2.50}""", """{"a":-25e-1}""")]
    [InlineData("""{"a":1e400}""", """{"a":10e399}""")]
    [InlineData("""{"a":12345678901234567890}""", """{"a":1.2345678901234567890e19}""")]
    [InlineData("""{"A":"A"}""", """{"\u0041":"\u0041"}""")]
    [InlineData("""{"a":"é/"}""", """{"a":"\u00e9\/"}""")]
    [InlineData("""{"a":2}""", """{"a":1,"a":2}""")]
    [InlineData("""{"x":{"b":[1,{"d":1,"c":2}],"a":null}}""", """{"x":{"a":null,"b":[1,{"c":2,"d":1}]}}""")]
    public void Build_EquivalentBodies_SameKey(string left, string right)
        => Key(left).Should().Be(Key(right));

    [Theory]
    [InlineData("""{"a":1}""", """{"a":"1"}""")]
    [InlineData("""{"a":1}""", """{"a":1.5}""")]
    [InlineData("""{"a":[1,2]}""", """{"a":[2,1]}""")]
    [InlineData("""{"a":null}""", """{}""")]
    [InlineData("""{"a":true}""", """{"a":false}""")]
    [InlineData("""{"ab":"c"}""", """{"a":"bc"}""")]
    [InlineData("""{"a":["ab","c"]}""", """{"a":["a","bc"]}""")]
    [InlineData("""{"a":[[]]}""", """{"a":[]}""")]
    [InlineData("""{"a":{}}""", """{"a":[]}""")]
    [InlineData("""{"a":12345678901234567890}""", """{"a":12345678901234567891}""")]
    [InlineData("""{"a":9007199254740993}""", """{"a":9007199254740992}""")]
    [InlineData("""{"a":1e400}""", """{"a":1e401}""")]
    [InlineData("""{"a":-1}""", """{"a":1}""")]
    [InlineData("""{"a":0.1}""", """{"a":1}""")]
    [InlineData("""{"a":1,"a":2}""", """{"a":1}""")]
    [InlineData("""{"x":{"stream":true}}""", """{"x":{}}""")]
    public void Build_DifferentBodies_DifferentKeys(string left, string right)
        => Key(left).Should().NotBe(Key(right));

    [Fact]
    public void Build_IgnoredTopLevelFields_SameKey()
    {
        Key("""{"model":"m","stream":true,"user":"alice","request_id":"r1","stream_options":{"include_usage":true}}""")
            .Should().Be(Key("""{"model":"m"}"""));
    }

    [Fact]
    public void Build_EscapedIgnoredFieldName_IsIgnoredToo()
        => Key("""{"model":"m","\u0073tream":true}""").Should().Be(Key("""{"model":"m"}"""));

    [Fact]
    public void Build_EachSignificantPart_ChangesKey()
    {
        var body = Encoding.UTF8.GetBytes(ChatBody);
        var headers = new[] { KeyValuePair.Create("X-Model-Revision", "7"), KeyValuePair.Create("Accept", "x") };
        var baseline = new CacheKeyRequest("chat", 1, "POST", "/v1/chat", body) { Tenant = "t", Model = "m", Headers = headers };
        var variants = new[]
        {
            baseline,
            new CacheKeyRequest("chat2", 1, "POST", "/v1/chat", body) { Tenant = "t", Model = "m", Headers = headers },
            new CacheKeyRequest("chat", 2, "POST", "/v1/chat", body) { Tenant = "t", Model = "m", Headers = headers },
            new CacheKeyRequest("chat", 1, "PUT", "/v1/chat", body) { Tenant = "t", Model = "m", Headers = headers },
            new CacheKeyRequest("chat", 1, "POST", "/v1/chat2", body) { Tenant = "t", Model = "m", Headers = headers },
            new CacheKeyRequest("chat", 1, "POST", "/v1/chat", body) { Tenant = "u", Model = "m", Headers = headers },
            new CacheKeyRequest("chat", 1, "POST", "/v1/chat", body) { Tenant = null, Model = "m", Headers = headers },
            new CacheKeyRequest("chat", 1, "POST", "/v1/chat", body) { Tenant = "t", Model = "n", Headers = headers },
            new CacheKeyRequest("chat", 1, "POST", "/v1/chat", body) { Tenant = "t", Model = null, Headers = headers },
            new CacheKeyRequest("chat", 1, "POST", "/v1/chat", body) { Tenant = "t", Model = "m", Headers = [KeyValuePair.Create("x-model-revision", "8")] },
            new CacheKeyRequest("chat", 1, "POST", "/v1/chat", body) { Tenant = "t", Model = "m", Headers = [KeyValuePair.Create("x-model-revision", "")] },
            new CacheKeyRequest("chat", 1, "POST", "/v1/chat", body) { Tenant = "t", Model = "m" },
            new CacheKeyRequest("chat", 1, "POST", "/v1/chat", Encoding.UTF8.GetBytes(ChatBody.Replace("2+2", "2+3", StringComparison.Ordinal))) { Tenant = "t", Model = "m", Headers = headers },
        };

        variants.Select(request => Builder.Build(request)).Distinct().Should().HaveCount(variants.Length);
    }

    [Fact]
    public void Build_HeaderNameCaseAndInsignificantHeaders_DoNotChangeKey()
    {
        var body = Encoding.UTF8.GetBytes(ChatBody);
        var a = new CacheKeyRequest("chat", 1, "POST", "/r", body) { Headers = [KeyValuePair.Create("X-Model-Revision", "7"), KeyValuePair.Create("Accept", "a")] };
        var b = new CacheKeyRequest("chat", 1, "POST", "/r", body) { Headers = [KeyValuePair.Create("Accept", "b"), KeyValuePair.Create("x-model-revision", "7")] };
        Builder.Build(a).Should().Be(Builder.Build(b));
    }

    [Fact]
    public void Build_Tenants_DifferWhenIsolatedAndMatchWhenNot()
    {
        Key(ChatBody, "a").Should().NotBe(Key(ChatBody, "b"));
        var shared = new CacheKeyBuilder(new CacheKeyPolicy { IsolateTenants = false });
        shared.Build(Request(ChatBody, "a")).Should().Be(shared.Build(Request(ChatBody, "b")));
    }

    [Fact]
    public void Build_NamespaceVersionBump_NewKey()
        => Builder.Build(Request(ChatBody, version: 1)).Should().NotBe(Builder.Build(Request(ChatBody, version: 2)));

    [Fact]
    public void Build_PartBoundaries_CannotCollide()
    {
        Builder.Build(Request("{}", tenant: "ab", route: "c")).Should().NotBe(Builder.Build(Request("{}", tenant: "a", route: "bc")));
        Builder.Build(Request("{}", method: "POST", route: "/x")).Should().NotBe(Builder.Build(Request("{}", method: "POST/", route: "x")));
    }

    [Fact]
    public void Build_ShuffledMembersAndWhitespace_SameKey_Randomized()
    {
        var random = new Random(20260529);
        for (var i = 0; i < 300; i++)
        {
            var document = RandomJson.Object(random, depth: 0);
            var canonical = RandomJson.Write(document, random, shuffle: false, whitespace: false);
            var variant = RandomJson.Write(document, random, shuffle: true, whitespace: true);
            Key(variant).Should().Be(Key(canonical), "iteration {0}: {1} vs {2}", i, canonical, variant);
        }
    }

    [Fact]
    public void Build_ChangedLeafValue_DifferentKey_Randomized()
    {
        var random = new Random(7);
        for (var i = 0; i < 300; i++)
        {
            var document = RandomJson.Object(random, depth: 0);
            var original = RandomJson.Write(document, random, shuffle: true, whitespace: true);
            if (!RandomJson.MutateOneLeaf(document, random))
            {
                continue;
            }

            var mutated = RandomJson.Write(document, random, shuffle: true, whitespace: true);
            Key(mutated).Should().NotBe(Key(original), "iteration {0}: {1} vs {2}", i, original, mutated);
        }
    }

    [Fact]
    public void Build_TypicalChatRequest_AllocatesOnlyTheResultKey()
    {
        var request = Request(ChatBody);
        for (var i = 0; i < 10; i++)
        {
            Builder.Build(request); // warm the per-thread buffer and the JIT
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Builder.Build(request);
        }

        var perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 100.0;
        // CacheKey is a struct holding the caller's namespace string, and the canonical bytes go to a per-thread
        // buffer, so a steady-state build allocates nothing (measured: 0). The bound leaves room for runtime noise
        // but is far below any real per-call allocation (the smallest object is 24 bytes).
        perCall.Should().BeLessThan(8, "a steady-state key build reuses its per-thread buffer");
    }

    [Theory]
    [InlineData("""{"temperature":0}""", true)]
    [InlineData("""{"temperature":0.0,"n":1}""", true)]
    [InlineData("""{"temperature":0.7}""", false)]
    [InlineData("""{"temperature":0.7,"seed":42}""", true)]
    [InlineData("""{"temperature":0.7,"seed":null}""", false)]
    [InlineData("""{"model":"m"}""", false)]
    [InlineData("""{"temperature":null}""", false)]
    [InlineData("""{"temperature":"0"}""", false)]
    [InlineData("""{"temperature":0,"n":2}""", false)]
    [InlineData("""{"temperature":0,"n":2,"seed":1}""", true)]
    [InlineData("""{"messages":[{"temperature":0}]}""", false)]
    [InlineData("""{"temperature":0,""", false)]
    [InlineData("", false)]
    public void IsDeterministic_DefaultTemperatureOne_ClassifiesRequest(string body, bool expected)
        => Builder.IsDeterministic(Encoding.UTF8.GetBytes(body)).Should().Be(expected);

    [Fact]
    public void IsDeterministic_DefaultTemperatureZero_MissingTemperatureIsDeterministic()
    {
        var builder = new CacheKeyBuilder(new CacheKeyPolicy { DefaultTemperature = 0 });
        builder.IsDeterministic("""{"input":"embed me"}"""u8).Should().BeTrue();
        builder.IsDeterministic(ReadOnlySpan<byte>.Empty).Should().BeTrue("a request without a body has no sampling parameters");
        builder.IsolateTenants.Should().BeTrue();
        CacheKeyBuilder.IsDeterministic("""{"input":"embed me"}"""u8, 1.0).Should().BeFalse();
    }
}
