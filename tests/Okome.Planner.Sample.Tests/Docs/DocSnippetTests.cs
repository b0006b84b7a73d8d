using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Okome.Planner.Sample.Tests.Docs;

/// <summary>
/// Every <c>```csharp</c> block of the package READMEs and the package docs compiles as shown: each block alone, as the
/// Program.cs of a new ASP.NET Core project (<c>dotnet new web</c>: its implicit usings, nothing else hidden before it),
/// against the framework and the packages. A reader who copies a block gets code that builds.
/// </summary>
public sealed partial class DocSnippetTests
{
    private static readonly Lazy<MetadataReference[]> References = new(static () =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(static path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());

    public static TheoryData<string> Documents =>
    [
        "src/Okome.Caching/README.md",
        "src/Okome.Budget/README.md",
        "src/Okome.Planner/README.md",
        "docs/caching.md",
        "docs/budget.md",
        "docs/planner.md",
    ];

    [Theory]
    [MemberData(nameof(Documents))]
    public void CSharpBlocks_CompileAsShown(string document)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot(), document));
        var blocks = CSharpBlock().Matches(text);

        blocks.Should().NotBeEmpty($"{document} has C# snippets");
        var errors = new List<string>();
        foreach (Match block in blocks)
        {
            var line = text.AsSpan(0, block.Index).Count('\n') + 2;
            errors.AddRange(Compile(block.Groups["code"].Value).Select(error => $"{document}:{line}: {error}"));
        }

        errors.Should().BeEmpty();
    }

    [Fact]
    public void Compile_BrokenSnippet_ReportsTheError()
        => Compile("var x = new NoSuchType();").Should().ContainSingle().Which.Should().Contain("CS0246");

    // The global usings Microsoft.NET.Sdk.Web generates with <ImplicitUsings>enable</ImplicitUsings> (a new project's default).
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Net.Http.Json;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using Microsoft.AspNetCore.Builder;
        global using Microsoft.AspNetCore.Hosting;
        global using Microsoft.AspNetCore.Http;
        global using Microsoft.AspNetCore.Routing;
        global using Microsoft.Extensions.Configuration;
        global using Microsoft.Extensions.DependencyInjection;
        global using Microsoft.Extensions.Hosting;
        global using Microsoft.Extensions.Logging;
        """;

    private static IEnumerable<string> Compile(string code)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "Snippet",
            [CSharpSyntaxTree.ParseText(ImplicitUsings, parse), CSharpSyntaxTree.ParseText(code, parse)],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        return compilation.GetDiagnostics()
            .Where(static diagnostic => diagnostic.Severity == DiagnosticSeverity.Error)
            .Select(static diagnostic => diagnostic.ToString());
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Directory.Packages.props")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root was not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^```csharp\r?\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
