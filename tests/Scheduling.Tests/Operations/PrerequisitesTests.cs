using Scheduling.Testing;

namespace Scheduling.Tests.Operations;

/// <summary>
/// The README's one test command on a fresh machine: what the suite needs besides .NET is named, with the command
/// that installs it, by the first test that needs it and here all at once; nothing is skipped.
/// </summary>
public sealed class PrerequisitesTests
{
    [Fact]
    public void A_missing_tool_is_named_with_the_command_that_installs_it()
    {
        var missing = Assert.Throws<InvalidOperationException>(() => Prerequisites.RequireProgram("no-such-tool-4c1e", "sudo apt-get install no-such-tool"));

        Assert.Contains("no-such-tool-4c1e is missing", missing.Message, StringComparison.Ordinal);
        Assert.Contains("`sudo apt-get install no-such-tool`", missing.Message, StringComparison.Ordinal);
        Assert.NotNull(Prerequisites.FindOnPath("sh"));
    }

    [Fact]
    public void This_machine_has_everything_the_suite_needs()
    {
        var missing = new List<string>();
        foreach (var check in new Action[] { Prerequisites.RedisServer, Prerequisites.Chromium, Prerequisites.NodePeers, Prerequisites.NodeClientTools })
        {
            try
            {
                check();
            }
            catch (InvalidOperationException e)
            {
                missing.Add(e.Message);
            }
        }

        Assert.True(missing.Count == 0, string.Join(Environment.NewLine, missing));
    }

    [Fact]
    public void Ci_installs_what_the_suite_needs_before_the_same_test_command()
    {
        var run = File.ReadAllText(Path.Combine(RepoPaths.Root, ".ci", "run"));

        Assert.Contains("missing+=(redis-server)", run, StringComparison.Ordinal);
        Assert.Contains($"[ -x {Prerequisites.ChromiumPath} ] || missing+=(chromium)", run, StringComparison.Ordinal);
        Assert.Contains("npm ci --prefix tests/peers", run, StringComparison.Ordinal);
        Assert.Contains("npm ci --prefix tests/clients", run, StringComparison.Ordinal);
        Assert.Contains("\ndotnet test", run, StringComparison.Ordinal);
    }
}
