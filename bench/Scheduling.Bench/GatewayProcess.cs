using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Scheduling.Bench;

/// <summary>
/// A built gateway (any version of this repository) run as its own process, Development environment (anonymous
/// callers, FHIR request counts in Server-Timing), settings as environment variables.
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private GatewayProcess(Process process, Uri baseAddress)
    {
        _process = process;
        Client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(120) };
    }

    public HttpClient Client { get; }

    /// <summary>The process's id (to read its memory from /proc).</summary>
    public int ProcessId => _process.Id;

    /// <summary>The operation's answer and how many FHIR requests it made (null where the store is not counted: the embedded one).</summary>
    public sealed record Answer(JsonObject Body, int? FhirRequests);

    public static async Task<GatewayProcess> StartAsync(string gatewayDll, IDictionary<string, string?> settings)
    {
        var port = FreePort();
        // The content root (appsettings.json) is the project folder next to bin/.
        var start = Scheduling.Testing.GatewayProcess.StartInfo(
            gatewayDll, Path.GetFullPath(Path.Combine(Path.GetDirectoryName(gatewayDll)!, "..", "..", "..")), port, settings);

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var gateway = new GatewayProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => gateway.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(240))
        {
            if (process.HasExited)
            {
                break;
            }

            try
            {
                using var live = await gateway.Client.GetAsync(new Uri("/health/live", UriKind.Relative));
                if (live.IsSuccessStatusCode)
                {
                    return gateway;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        var output = gateway.Output;
        await gateway.DisposeAsync();
        throw new InvalidOperationException($"{gatewayDll} did not start: {output}");
    }

    public async Task<Answer> QueryAsync(string query, object? variables = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/graphql", UriKind.Relative))
        {
            Content = new StringContent(JsonSerializer.Serialize(new { query, variables }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/graphql-response+json"));
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = JsonNode.Parse(text)?.AsObject() ?? throw new InvalidOperationException("empty response: " + (int)response.StatusCode);
        int? requests = response.Headers.TryGetValues("Server-Timing", out var timing) &&
            FhirRequestCount().Match(string.Join(',', timing)) is { Success: true } match
            ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : null;
        return new Answer(body, requests);
    }

    [GeneratedRegex("desc=\"(\\d+) requests\"")]
    private static partial Regex FhirRequestCount();

    private string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output.TakeLast(40));
            }
        }
    }

    /// <summary>Every line the process has written so far that contains <paramref name="marker"/>.</summary>
    public IReadOnlyList<string> LinesContaining(string marker)
    {
        lock (_output)
        {
            return [.. _output.Where(l => l.Contains(marker, StringComparison.Ordinal))];
        }
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Add(line);
                // Diagnosis: every gateway's output in one file when asked (BENCH_GATEWAY_LOG=path).
                if (Environment.GetEnvironmentVariable("BENCH_GATEWAY_LOG") is { Length: > 0 } log)
                {
                    File.AppendAllText(log, $"[{ProcessId}] {line}\n");
                }
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
