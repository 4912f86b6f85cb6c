namespace Scheduling.Testing;

/// <summary>Where the repository's files are, found from the test binary upwards.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Peers => Path.Combine(Root, "tests", "peers");

    public static string ClientTools => Path.Combine(Root, "tests", "clients");

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Scheduling.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Scheduling.sln not found above " + AppContext.BaseDirectory);
    }
}
