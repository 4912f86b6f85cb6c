using System.Collections.Concurrent;
using Hl7.Fhir.Model;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;

namespace Scheduling.Tests.Subscriptions;

/// <summary>Steps the tests of the Redis change bus share: a change to publish, a reader at the stream's end, a wait.</summary>
internal static class RedisBusSteps
{
    public static ResourceChange Change(string id) =>
        ResourceChange.From(new Appointment { Id = id, Meta = new Meta { VersionId = "1", LastUpdated = DateTimeOffset.UtcNow }, Status = Appointment.AppointmentStatus.Booked }, ChangeKind.Updated, "test");

    /// <summary>Once the bus's reader stands at the stream's end (a new reader starts there: what came before is history).</summary>
    public static async Task ReadingAsync(RedisChangeBus bus, ConcurrentQueue<RecordedChange> heard)
    {
        for (var i = 0; i < 50 && !heard.Any(c => c.Change.Id.StartsWith("warm", StringComparison.Ordinal)); i++)
        {
            await bus.PublishAsync(Change("warm" + i));
            await Task.Delay(200);
        }
    }

    public static async Task UntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(condition(), "not within 10 s");
    }

    /// <summary>Every client's commands wait for <paramref name="duration"/> (asked with redis-cli, which comes with redis-server).</summary>
    public static async Task PauseAsync(RedisServer redis, TimeSpan duration)
    {
        var start = new System.Diagnostics.ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-p", redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "CLIENT", "PAUSE", ((long)duration.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture), "ALL" })
        {
            start.ArgumentList.Add(argument);
        }

        using var cli = System.Diagnostics.Process.Start(start)!;
        Assert.Equal("OK", (await cli.StandardOutput.ReadToEndAsync()).Trim());
        await cli.WaitForExitAsync();
    }

    /// <summary>Every command Redis runs from now on, as its <c>MONITOR</c> prints them (until disposed).</summary>
    public static async Task<RedisMonitor> MonitorAsync(RedisServer redis)
    {
        var start = new System.Diagnostics.ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-p", redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "MONITOR" })
        {
            start.ArgumentList.Add(argument);
        }

        var monitor = new RedisMonitor(System.Diagnostics.Process.Start(start)!);
        await UntilAsync(() => monitor.Started);
        return monitor;
    }
}

/// <summary>redis-cli's <c>MONITOR</c>: the commands Redis ran while it watched.</summary>
internal sealed class RedisMonitor : IDisposable
{
    private readonly System.Diagnostics.Process _cli;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Task _reading;

    public RedisMonitor(System.Diagnostics.Process cli)
    {
        _cli = cli;
        _reading = Task.Run(async () =>
        {
            while (await _cli.StandardOutput.ReadLineAsync() is { } line)
            {
                _lines.Enqueue(line);
            }
        });
    }

    public bool Started => _lines.Any(l => l.Trim() == "OK");

    /// <summary>The commands seen so far (each line: time, client, then the command and its arguments, quoted).</summary>
    public IReadOnlyList<string> Commands => [.. _lines.Where(l => l.Trim() != "OK")];

    public void Dispose()
    {
        _cli.Kill();
        _reading.Wait(TimeSpan.FromSeconds(5));
        _cli.Dispose();
    }
}
