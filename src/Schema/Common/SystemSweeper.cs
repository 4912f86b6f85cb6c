using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Scheduling.Schema.Authorization;

namespace Scheduling.Schema.Common;

/// <summary>
/// Background work no caller asked for, on every instance: every <see cref="Period"/>, in its own scope as the
/// system caller. A failed round (the FHIR server down) is logged and the next one tries again.
/// </summary>
public abstract partial class SystemSweeper(IServiceScopeFactory scopes, TimeProvider time, ILogger logger) : BackgroundService
{
    protected abstract TimeSpan Period { get; }

    /// <summary>One round, with the scope's services.</summary>
    protected abstract Task SweepAsync(IServiceProvider services, CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                scope.ServiceProvider.GetRequiredService<SchedulingAccess>().Caller = SchedulingCaller.System;
                await SweepAsync(scope.ServiceProvider, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSweepFailed(logger, GetType().Name, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Sweeper} failed; retrying on the next tick")]
    private static partial void LogSweepFailed(ILogger logger, string sweeper, Exception exception);
}
