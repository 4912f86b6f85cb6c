using System.Threading.Channels;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Booking.Waitlist;
using Scheduling.Schema.Subscriptions;
using StackExchange.Redis;

namespace Scheduling.Schema.Waitlist;

/// <summary>
/// Runs the matcher (<see cref="WaitlistMatcher"/>) when time may have freed up, on every instance, once per change:
/// every instance hears every change on the bus; the one that claims a change's event id first
/// (<see cref="IInstanceClaims.ClaimOnceAsync"/>, Redis when configured) runs a pass for it; passes run one at a time
/// across instances under a lease (<see cref="IInstanceClaims.TryLeaseAsync"/>), each reading the line afresh. Every
/// <see cref="WaitlistOptions.SweepSeconds"/> each instance also runs a pass unasked (changes missed while Redis was
/// away, time already free when a patient joined). Time may have freed up when an appointment is changed or cancelled
/// (not when one is created taking time, nor when a waitlist entry joins or leaves), a slot is FREE or deleted, or a
/// schedule changes; a pass then looks only at the entries that could take it (<see cref="WaitlistFreed"/>).
/// </summary>
public sealed partial class WaitlistService(
    IChangeBus bus, IInstanceClaims claims, IServiceScopeFactory scopes, IOptions<WaitlistOptions> options, TimeProvider time, ILogger<WaitlistService> logger)
    : BackgroundService
{
    /// <summary>The pass's lease: renewed while the pass runs (<see cref="HeldLease"/>); a dead instance's runs out after this.</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    /// <summary>How long an event id stays claimed (longer than the bus delivers a change late).</summary>
    private static readonly TimeSpan ClaimKept = TimeSpan.FromMinutes(10);

    private readonly Channel<(RecordedChange Change, WaitlistFreed Freed)> _changes = Channel.CreateBounded<(RecordedChange, WaitlistFreed)>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private readonly SemaphoreSlim _passing = new(1, 1);

    private string Prefix => options.Value.RedisPrefix;

    /// <summary>Why the last pass failed, if it did (kept for diagnosis; the log says it too).</summary>
    public Exception? LastFailure { get; private set; }

    /// <summary>Whose time a change may have freed (<see cref="WaitlistFreed.Of"/>); null when it freed nobody's.</summary>
    public static WaitlistFreed? Freed(ResourceChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change.ResourceType is "Appointment" or "Slot" or "Schedule"
            ? WaitlistFreed.Of(change.ParseResource(), change.Kind == ChangeKind.Created, change.Kind == ChangeKind.Deleted)
            : null;
    }

    /// <summary>A pass over the whole line now (<see cref="PassAsync(WaitlistFreed, TimeSpan, CancellationToken)"/>).</summary>
    public Task<bool> PassAsync(TimeSpan wait, CancellationToken cancellationToken) => PassAsync(WaitlistFreed.All, wait, cancellationToken);

    /// <summary>
    /// One pass now over the entries that could take what <paramref name="freed"/> says freed, under the lease shared
    /// by every instance; false when the lease stayed taken past <paramref name="wait"/>.
    /// </summary>
    public async Task<bool> PassAsync(WaitlistFreed freed, TimeSpan wait, CancellationToken cancellationToken)
    {
        await _passing.WaitAsync(cancellationToken);
        try
        {
            var giveUp = time.GetUtcNow() + wait;
            HeldLease? lease;
            while ((lease = await HeldLease.TryTakeAsync(claims, Prefix + "pass", Lease, time)) is null)
            {
                if (time.GetUtcNow() >= giveUp)
                {
                    return false;
                }

                await System.Threading.Tasks.Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
            }

            await using (lease)
            {
                // Renewed while the pass runs; a pass that lost it (stalled past it) stops rather than run beside the next.
                using var passing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Lost);
                await using var scope = scopes.CreateAsyncScope();
                scope.ServiceProvider.GetRequiredService<SchedulingAccess>().Caller = SchedulingCaller.System;
                var pass = await scope.ServiceProvider.GetRequiredService<WaitlistMatcher>().RunAsync(freed, passing.Token);
                if (pass.Offered + pass.Fulfilled > 0)
                {
                    LogPass(logger, pass.Offered, pass.Fulfilled);
                }

                return true;
            }
        }
        finally
        {
            _passing.Release();
        }
    }

    protected override async System.Threading.Tasks.Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        using var following = bus.Subscribe(change =>
        {
            if (Freed(change.Change) is { } freed)
            {
                _changes.Writer.TryWrite((change, freed));
            }
        });
        await System.Threading.Tasks.Task.WhenAll(FollowAsync(stoppingToken), SweepAsync(stoppingToken));
    }

    public override void Dispose()
    {
        _passing.Dispose();
        base.Dispose();
    }

    private async System.Threading.Tasks.Task FollowAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _changes.Reader.WaitToReadAsync(stoppingToken))
            {
                // Every change waiting now is claimed; one pass serves all that this instance won, over whose time they freed.
                WaitlistFreed? freed = null;
                while (_changes.Reader.TryRead(out var waiting))
                {
                    var (change, more) = waiting;
                    if (change.Id is not { } id || await ClaimAsync(id.ToString()))
                    {
                        freed = freed?.With(more) ?? more;
                    }
                }

                if (freed is not null)
                {
                    await RunLoggedAsync(freed, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private async Task<bool> ClaimAsync(string eventId)
    {
        try
        {
            return await claims.ClaimOnceAsync(Prefix + "event:" + eventId, ClaimKept);
        }
        catch (RedisException)
        {
            return false; // Redis away: the sweep's pass finds what this change freed
        }
    }

    private async System.Threading.Tasks.Task SweepAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RunLoggedAsync(WaitlistFreed.All, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private async System.Threading.Tasks.Task RunLoggedAsync(WaitlistFreed freed, CancellationToken stoppingToken)
    {
        try
        {
            await PassAsync(freed, Lease, stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LastFailure = e;
            LogPassFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Waitlist pass: {Offered} offered, {Fulfilled} fulfilled")]
    private static partial void LogPass(ILogger logger, int offered, int fulfilled);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waitlist pass failed; the next change or sweep tries again")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
