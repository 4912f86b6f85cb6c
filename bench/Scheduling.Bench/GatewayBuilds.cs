using System.Diagnostics;
using Scheduling.Testing;

namespace Scheduling.Bench;

/// <summary>
/// The gateway built in Release from this checkout, and from an earlier commit (exported with git archive into a
/// temporary folder, built once and reused), so two versions run the same rounds side by side.
/// </summary>
public static class GatewayBuilds
{
    private const string GatewayProject = "src/Gateway/Scheduling.Gateway.csproj";

    public static async Task<string> CurrentAsync() => await BuildAsync(RepoPaths.Root);

    public static async Task<string> AtCommitAsync(string commit)
    {
        var full = (await RunAsync("git", RepoPaths.Root, "rev-parse", commit)).Trim();
        var folder = Path.Combine(Path.GetTempPath(), "scheduling-bench", full[..12]);
        if (!File.Exists(Path.Combine(folder, "Scheduling.sln")))
        {
            Directory.CreateDirectory(folder);
            var archive = Path.Combine(folder, "..", full[..12] + ".tar");
            await RunAsync("git", RepoPaths.Root, "archive", "--output", archive, full);
            await RunAsync("tar", folder, "-xf", archive);
            File.Delete(archive);
            // The IDE's npm package is not needed to book; borrowing this checkout's saves an npm ci.
            var ideModules = Path.Combine(RepoPaths.Root, "src", "Gateway", "ide-assets", "node_modules");
            if (Directory.Exists(ideModules))
            {
                Directory.CreateSymbolicLink(Path.Combine(folder, "src", "Gateway", "ide-assets", "node_modules"), ideModules);
            }
        }

        return await BuildAsync(folder);
    }

    private static async Task<string> BuildAsync(string root)
    {
        Console.Error.WriteLine($"Building the gateway in {root} (Release)...");
        await RunAsync("dotnet", root, "build", "-c", "Release", "--nologo", "-v", "q", GatewayProject);
        var dll = Path.Combine(root, "src", "Gateway", "bin", "Release", "net10.0", "Scheduling.Gateway.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException(dll + " was not built");
    }

    private static async Task<string> RunAsync(string command, string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo(command)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException(command + " did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? await output
            : throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed: {await output}{await errors}");
    }
}
