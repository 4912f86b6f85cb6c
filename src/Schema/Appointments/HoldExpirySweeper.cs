using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Booking;

namespace Scheduling.Schema.Appointments;

/// <summary>
/// Releases expired holds even when nobody asks: every few seconds, on every instance. Instances racing for the
/// same hold are harmless: the change uses If-Match, so one wins and the others find nothing left to do.
/// </summary>
public sealed partial class HoldExpirySweeper(
    IServiceScopeFactory scopes,
    IOptions<BookingOptions> options,
    TimeProvider time,
    ILogger<HoldExpirySweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.HoldSweepSeconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                scope.ServiceProvider.GetRequiredService<SchedulingAccess>().Caller = SchedulingCaller.System;
                var expired = await scope.ServiceProvider.GetRequiredService<HoldExpiry>().ExpireHoldsAsync(stoppingToken);
                if (expired > 0)
                {
                    LogExpired(logger, expired);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The FHIR server may be down; the next tick tries again.
                LogSweepFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Released {Count} expired holds")]
    private static partial void LogExpired(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hold sweep failed; retrying on the next tick")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
