using System.Diagnostics;
using System.Text.Json;
using Scheduling.Testing;
using Scheduling.Tests.Queries;
using Xunit.Abstractions;

namespace Scheduling.Tests.Http;

/// <summary>The GraphQL-over-HTTP spec's own audit suite (graphql-http's serverAudits) against the live gateway.</summary>
public sealed class GraphQLHttpAuditTests(EmbeddedGatewayFixture fixture, ITestOutputHelper output) : IClassFixture<EmbeddedGatewayFixture>
{
    [Fact]
    public async Task Every_MUST_SHOULD_and_MAY_audit_of_graphql_http_passes()
    {
        var start = new ProcessStartInfo("node", ["graphql-http-audit.mjs", fixture.Gateway.GraphQLUrl.ToString()])
        {
            WorkingDirectory = RepoPaths.Peers,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var node = Process.Start(start)!;
        var stdout = await node.StandardOutput.ReadToEndAsync();
        var stderr = await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        Assert.True(node.ExitCode == 0, stderr);

        var results = JsonDocument.Parse(stdout).RootElement.GetProperty("results").EnumerateArray()
            .Select(r => (Id: r.GetProperty("id").GetString()!, Name: r.GetProperty("name").GetString()!, Status: r.GetProperty("status").GetString()!,
                Reason: r.TryGetProperty("reason", out var reason) ? reason.GetString() : null))
            .ToList();
        var tally = results.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"graphql-http audit: {results.Count} audits, ok {tally.GetValueOrDefault("ok")}, warn {tally.GetValueOrDefault("warn")}, error {tally.GetValueOrDefault("error")}");
        foreach (var failed in results.Where(r => r.Status != "ok"))
        {
            output.WriteLine($"{failed.Status} {failed.Id} {failed.Name}: {failed.Reason}");
        }

        Assert.True(results.Count >= 60, $"the suite ran {results.Count} audits");
        Assert.All(results, r => Assert.True(r.Status == "ok", $"{r.Id} {r.Name}: {r.Reason}"));
    }
}
