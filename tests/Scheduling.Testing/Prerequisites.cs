namespace Scheduling.Testing;

/// <summary>
/// What the suite needs on the machine besides .NET. A fixture that needs a missing one fails at once with the
/// command that installs it (never a skip, never a bare "file not found"); <c>.ci/run</c> installs them all.
/// </summary>
public static class Prerequisites
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public static void RedisServer() => RequireProgram("redis-server", "sudo apt-get install redis-server");

    public static void Chromium() => Require(File.Exists(ChromiumPath), $"Chromium ({ChromiumPath})", "sudo apt-get install chromium");

    /// <summary>Node 20+ and the Node test peers (Medplum's FHIR engine, graphql-http, the reference clients).</summary>
    public static void NodePeers()
    {
        RequireProgram("node", "install Node 20+ (e.g. sudo apt-get install nodejs npm)");
        Require(File.Exists(Path.Combine(RepoPaths.Peers, "node_modules", ".package-lock.json")), "tests/peers/node_modules",
            "npm ci --prefix tests/peers --no-audit --no-fund");
    }

    /// <summary>Node 20+ and the client tools (relay-compiler, GraphQL Code Generator, TypeScript, Apollo Client, urql, graphql-eslint).</summary>
    public static void NodeClientTools()
    {
        RequireProgram("node", "install Node 20+ (e.g. sudo apt-get install nodejs npm)");
        Require(File.Exists(Path.Combine(RepoPaths.ClientTools, "node_modules", ".package-lock.json")), "tests/clients/node_modules",
            "npm ci --prefix tests/clients --no-audit --no-fund");
    }

    /// <summary>An executable on PATH, or an exception naming it and the command that installs it.</summary>
    public static void RequireProgram(string program, string install) => Require(FindOnPath(program) is not null, program, install);

    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);

    private static void Require(bool present, string what, string install)
    {
        if (!present)
        {
            throw new InvalidOperationException($"{what} is missing on this machine: run `{install}` (.ci/run installs it), then `dotnet test` again.");
        }
    }
}
