using System.Net.Http.Json;
using System.Text.Json;

namespace Scheduling.Testing;

/// <summary>
/// Medplum's FHIR engine (@medplum/fhir-router) over HTTP, started from tests/peers.
/// Counts the FHIR requests it serves, so tests can assert how many the gateway made.
/// </summary>
public sealed class MedplumServer : IAsyncDisposable
{
    private NodeProcess? _node;

    public HttpClient Control { get; } = new();

    public string FhirBaseUrl { get; private set; } = string.Empty;

    public static async Task<MedplumServer> StartAsync(params string[] arguments)
    {
        var server = new MedplumServer();
        await server.InitializeAsync(arguments);
        return server;
    }

    private async Task InitializeAsync(string[] arguments)
    {
        _node = await NodeProcess.StartAsync("medplum-fhir-server.mjs", arguments);
        FhirBaseUrl = _node.Ready.GetProperty("base").GetString()!;
        Control.BaseAddress = new Uri(new Uri(FhirBaseUrl), "/__control/");
    }

    public async ValueTask DisposeAsync()
    {
        Control.Dispose();
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    public async Task ResetCountsAsync() => (await Control.PostAsync("reset", null)).EnsureSuccessStatusCode();

    /// <summary>The FHIR requests served since the last reset, as "GET Slot?schedule=..." lines.</summary>
    public async Task<IReadOnlyList<string>> RequestsAsync()
    {
        var stats = await Control.GetFromJsonAsync<JsonElement>("stats");
        return [.. stats.GetProperty("log").EnumerateArray().Select(e => e.GetString()!)];
    }

    /// <summary>
    /// The FHIR requests served since the last reset, each with how many other FHIR requests were in flight (arrived,
    /// not yet answered) when it arrived: requests a client sends at once overlap, one after another they do not.
    /// </summary>
    public async Task<IReadOnlyList<(string Request, int InFlight)>> ArrivalsAsync()
    {
        var stats = await Control.GetFromJsonAsync<JsonElement>("stats");
        var log = stats.GetProperty("log").EnumerateArray().Select(e => e.GetString()!).ToList();
        var overlaps = stats.GetProperty("overlaps").EnumerateArray().Select(e => e.GetInt32()).ToList();
        return [.. log.Zip(overlaps)];
    }

    /// <summary>The Authorization header of each FHIR request since the last reset, and how many tokens were issued.</summary>
    public async Task<(IReadOnlyList<string> Authorization, int TokensIssued)> AuthAsync()
    {
        var stats = await Control.GetFromJsonAsync<JsonElement>("stats");
        return ([.. stats.GetProperty("auth").EnumerateArray().Select(e => e.GetString()!)], stats.GetProperty("tokensIssued").GetInt32());
    }

    public string TokenUrl => new Uri(new Uri(FhirBaseUrl), "/oauth2/token").ToString();

    /// <summary>Adds <paramref name="milliseconds"/> before each FHIR answer (0 clears it); the request is logged on arrival.</summary>
    public async Task LatencyAsync(int milliseconds) =>
        (await Control.PostAsync($"latency?ms={milliseconds}", null)).EnsureSuccessStatusCode();

    /// <summary>FHIR requests whose URL starts with <paramref name="match"/> answer <paramref name="status"/> (0 clears it),
    /// the next <paramref name="times"/> of them or all.</summary>
    public async Task FaultAsync(int status, string match = "", int? times = null) =>
        (await Control.PostAsync($"fault?status={status}&match={Uri.EscapeDataString(match)}" + (times is { } n ? $"&times={n}" : string.Empty), null))
            .EnsureSuccessStatusCode();

    /// <summary>Whether <c>GET metadata</c> answers a CapabilityStatement listing every reference parameter as an include
    /// and a reverse include (true), or goes to Medplum's router as before (false, the default: it has no metadata route).</summary>
    public async Task PublishIncludesAsync(bool publish) =>
        (await Control.PostAsync($"capabilities?includes={(publish ? 1 : 0)}", null)).EnsureSuccessStatusCode();
}
