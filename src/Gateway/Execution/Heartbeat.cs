namespace Scheduling.Gateway.Execution;

/// <summary>
/// The keep-alive of a long-lived connection (a WebSocket's ping, an event stream's comment): something small sent
/// every so often, so the client sees the server alive and proxies do not close the connection as idle.
/// </summary>
internal static class Heartbeat
{
    /// <summary>Calls <paramref name="beat"/> every <paramref name="seconds"/> until <paramref name="closing"/>; never when 0.</summary>
    public static async Task RunAsync(int seconds, Action beat, CancellationToken closing)
    {
        ArgumentNullException.ThrowIfNull(beat);
        if (seconds == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds));
        try
        {
            while (await timer.WaitForNextTickAsync(closing))
            {
                beat();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
