using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Edge.Client.UnitTests.Docs;

/// <summary>
/// The C# examples in the SDK's README compile against the SDK as it is, so a firmware team that copies them gets
/// working code. The app's own parts they call (token source, connectivity, UI) are stood in for by small stubs.
/// </summary>
public sealed partial class ReadmeExampleTests
{
    private const string Stubs = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using Edge.Client;

        internal sealed class DeviceAuth { public Task<string> GetTokenAsync(CancellationToken ct) => Task.FromResult(string.Empty); }
        internal sealed class DeviceKeys { public Task<byte[]> GetOutboxKeyAsync() => Task.FromResult(new byte[32]); }
        internal sealed class Connectivity { public event EventHandler? Changed { add { } remove { } } }
        internal sealed class Ui
        {
            public void ShowProofStatus(string proofId, ProofStatus status, string? reason) { }
            public void Warn(string text) { }
            public void ShowUpload(long committed, long total) { }
            public void AskForRetake(PhotoVerdict verdict) { }
            public void ShowStops(IReadOnlyList<RouteStop> stops, bool stale) { }
        }

        internal sealed partial class App
        {
            private readonly DeviceAuth deviceAuth = new();
            private readonly DeviceKeys deviceKeys = new();
            private readonly Connectivity connectivity = new();
            private readonly Ui ui = new();
            private readonly string appDataDirectory = Path.GetTempPath();
            private readonly string photoPath = "photo.jpg";
            private readonly CancellationToken shiftEnds = CancellationToken.None;
        }
        """;

    [Fact]
    public void ReadmeExamples_CompileAgainstTheSdk()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "Edge.Client", "README.md"));
        var blocks = CSharpBlock().Matches(readme).Select(m => m.Groups["code"].Value).ToList();
        Assert.True(blocks.Count >= 2, "the README's C# examples were not found");

        // The first block is the whole example; the later ones go on from its `edge`.
        var methods = blocks.Select((code, i) =>
            $"internal sealed partial class App {{ private async Task Example{i}({(i == 0 ? string.Empty : "EdgeClient edge")}) {{\n{StripUsings(code)}\n}} }}");
        var compilation = CSharpCompilation.Create(
            "ReadmeExamples",
            [CSharpSyntaxTree.ParseText(Stubs), .. methods.Select(m => CSharpSyntaxTree.ParseText(m))],
            References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();

        Assert.True(errors.Count == 0, string.Join('\n', errors));
    }

    private static string StripUsings(string code)
        => string.Join('\n', code.Split('\n').Where(line => !line.StartsWith("using ", StringComparison.Ordinal) || line.Contains('(', StringComparison.Ordinal)));

    private static IEnumerable<MetadataReference> References()
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return platform.Append(typeof(EdgeClient).Assembly.Location).Select(path => MetadataReference.CreateFromFile(path));
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Edge.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("the repository root (Edge.sln) is not above the test's directory");
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
