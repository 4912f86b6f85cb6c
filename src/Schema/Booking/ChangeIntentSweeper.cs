using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>
/// Repairs changes interrupted mid-way (<see cref="ChangeIntentRepair"/>) even when nobody asks: every
/// <see cref="ChangeSafetyOptions.RepairSweepSeconds"/>, on every instance.
/// </summary>
public sealed partial class ChangeIntentSweeper(
    IServiceScopeFactory scopes,
    IOptions<ChangeSafetyOptions> options,
    TimeProvider time,
    ILogger<ChangeIntentSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.RepairSweepSeconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                scope.ServiceProvider.GetRequiredService<SchedulingAccess>().Caller = SchedulingCaller.System;
                await scope.ServiceProvider.GetRequiredService<ChangeIntentRepair>().RepairStaleAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The FHIR server may be down; the next tick tries again.
                LogSweepFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change intent sweep failed; retrying on the next tick")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
