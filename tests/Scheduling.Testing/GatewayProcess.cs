using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Scheduling.Testing;

/// <summary>
/// The built gateway (src/Gateway's Scheduling.Gateway.dll) as a child process, configured through environment
/// variables, so a test can kill it outright mid-request, as a crash or an OOM kill would.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;

    private GatewayProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress };
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    /// <param name="settings">Configuration keys as in appsettings.json ("Fhir:BaseUrl"), passed as environment variables.</param>
    public static async Task<GatewayProcess> StartAsync(IDictionary<string, string?> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        // The same configuration (Debug/Release) as the tests themselves were built in.
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent?.Name ?? "Debug";
        var assembly = Path.Combine(RepoPaths.Root, "src", "Gateway", "bin", configuration, "net10.0", "Scheduling.Gateway.dll");
        if (!File.Exists(assembly))
        {
            throw new InvalidOperationException(assembly + " is missing: build the solution first.");
        }

        var port = FreePort();
        var start = StartInfo(assembly, Path.Combine(RepoPaths.Root, "src", "Gateway"), port, settings);

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var gateway = new GatewayProcess(process, new Uri($"http://127.0.0.1:{port}"));
        var ready = Stopwatch.StartNew();
        while (ready.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException("The gateway process exited with " + process.ExitCode);
            }

            try
            {
                using var response = await gateway.Client.GetAsync(new Uri("/health/live", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return gateway;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        await gateway.DisposeAsync();
        throw new TimeoutException("The gateway process did not come up within 60 s.");
    }

    /// <summary>Kills the process at once (no graceful shutdown, nothing in flight finishes).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        Client.Dispose();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>How a built gateway is started as its own process on 127.0.0.1:port, each setting as an environment variable (tests and bench alike).</summary>
    public static ProcessStartInfo StartInfo(string gatewayDll, string workingDirectory, int port, IEnumerable<KeyValuePair<string, string?>> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(gatewayDll);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        return start;
    }
}
