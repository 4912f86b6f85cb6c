using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Booking;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Appointments;

/// <summary>
/// Releases expired holds even when nobody asks: every few seconds, on every instance. Instances racing for the
/// same hold are harmless: the change uses If-Match, so one wins and the others find nothing left to do.
/// </summary>
public sealed partial class HoldExpirySweeper(
    IServiceScopeFactory scopes,
    IOptions<BookingOptions> options,
    TimeProvider time,
    ILogger<HoldExpirySweeper> logger) : SystemSweeper(scopes, time, logger)
{
    protected override TimeSpan Period => TimeSpan.FromSeconds(options.Value.HoldSweepSeconds);

    protected override async Task SweepAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var expired = await services.GetRequiredService<HoldExpiry>().ExpireHoldsAsync(cancellationToken);
        if (expired > 0)
        {
            LogExpired(logger, expired);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Released {Count} expired holds")]
    private static partial void LogExpired(ILogger logger, int count);
}
