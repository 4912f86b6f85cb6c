using System.Diagnostics;
using System.Text.Json;

namespace Scheduling.Testing;

/// <summary>Runs a Node script from tests/peers (or tests/clients); the script's first stdout line is JSON describing it.</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stderr = [];

    private NodeProcess(Process process) => _process = process;

    public JsonElement Ready { get; private set; }

    public static Task<NodeProcess> StartAsync(string script, params string[] arguments)
    {
        Prerequisites.NodePeers();
        return StartInAsync(RepoPaths.Peers, script, arguments);
    }

    /// <summary>A script of the client tools' package (tests/clients: relay-compiler, codegen, Apollo, urql, graphql-eslint).</summary>
    public static Task<NodeProcess> StartClientToolAsync(string script, params string[] arguments)
    {
        Prerequisites.NodeClientTools();
        return StartInAsync(RepoPaths.ClientTools, script, arguments);
    }

    private static async Task<NodeProcess> StartInAsync(string directory, string script, string[] arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--experimental-websocket");
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var node = new NodeProcess(process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (node._stderr)
                {
                    node._stderr.Add(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null)
        {
            throw new InvalidOperationException($"{script} exited before it was ready: {node.Stderr}");
        }

        node.Ready = JsonDocument.Parse(line).RootElement.Clone();
        return node;
    }

    /// <summary>The next stdout line as JSON, or null when the script ended or the time ran out.</summary>
    public async Task<JsonElement?> NextAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            var line = await _process.StandardOutput.ReadLineAsync(cancel.Token);
            return line is null ? null : JsonDocument.Parse(line).RootElement.Clone();
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Whether the script ended within this time; what it printed stays readable after.</summary>
    public async Task<bool> ExitedWithinAsync(TimeSpan within)
    {
        using var cancel = new CancellationTokenSource(within);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return string.Join('\n', _stderr);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
