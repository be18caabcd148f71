namespace Edge.LoadTest.Tests;

/// <summary>The runners' options: a misspelt one is refused, naming what the command takes.</summary>
public sealed class ScenarioArgumentsTests
{
    [Fact]
    public void Only_RefusesAnOptionTheCommandDoesNotTake_AndNamesTheOnesItDoes()
    {
        var options = ScenarioArguments.Parse(["--rounds", "2", "--roundz", "3"]);

        var error = Assert.Throws<ArgumentException>(() => options.Only("manifests", "rounds", "seconds"));

        Assert.Contains("--roundz", error.Message, StringComparison.Ordinal);
        Assert.Contains("--rounds, --seconds", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_KeepsKnownOptions()
    {
        var options = ScenarioArguments.Parse(["--rounds", "2"]).Only("manifests", "rounds", "seconds");

        Assert.Equal(2, options.Int("rounds", 3));
        Assert.Equal(5, options.Int("seconds", 5));
    }
}
