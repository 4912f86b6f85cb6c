using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Booking;

/// <summary>
/// Repairs changes interrupted mid-way (<see cref="ChangeIntentRepair"/>) even when nobody asks: every
/// <see cref="ChangeSafetyOptions.RepairSweepSeconds"/>, on every instance.
/// </summary>
public sealed class ChangeIntentSweeper(
    IServiceScopeFactory scopes,
    IOptions<ChangeSafetyOptions> options,
    TimeProvider time,
    ILogger<ChangeIntentSweeper> logger) : SystemSweeper(scopes, time, logger)
{
    protected override TimeSpan Period => TimeSpan.FromSeconds(options.Value.RepairSweepSeconds);

    protected override Task SweepAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<ChangeIntentRepair>().RepairStaleAsync(cancellationToken);
}
