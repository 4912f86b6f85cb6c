using Microsoft.Extensions.Time.Testing;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// A lease held while work runs (<see cref="HeldLease"/>) is renewed: work that outlives the lease's length keeps it,
/// so another instance cannot take it and run beside it; released, it is free at once; lost to another (the holder
/// stalled past it), the holder's work is told to stop.
/// </summary>
public sealed class InstanceClaimsLeaseTests
{
    private static readonly TimeSpan Length = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Work_longer_than_the_lease_keeps_it_and_release_frees_it()
    {
        var time = new FakeTimeProvider();
        var claims = new InMemoryInstanceClaims(time);
        var held = await HeldLease.TryTakeAsync(claims, "pass", Length, time);
        Assert.NotNull(held);

        // Five lengths of work, a second at a time (each step lets the renewal's timer run).
        for (var second = 0; second < 5 * 60; second++)
        {
            await AdvanceAsync(time, TimeSpan.FromSeconds(1));
        }

        Assert.Null(await claims.TryLeaseAsync("pass", Length));
        Assert.False(held.Lost.IsCancellationRequested);

        await held.DisposeAsync();
        Assert.NotNull(await claims.TryLeaseAsync("pass", Length));
    }

    [Fact]
    public async Task A_lease_lost_to_another_holder_tells_the_work_to_stop()
    {
        var time = new FakeTimeProvider();
        var claims = new InMemoryInstanceClaims(time);
        await using var held = await HeldLease.TryTakeAsync(claims, "pass", Length, time);
        Assert.NotNull(held);

        // The holder stalls: its renewal does not run for longer than the lease, and another instance takes it.
        time.AdjustTime(time.GetUtcNow() + Length + TimeSpan.FromSeconds(1));
        Assert.NotNull(await claims.TryLeaseAsync("pass", Length));
        await AdvanceAsync(time, Length / 3);
        Assert.True(await UntilAsync(() => held.Lost.IsCancellationRequested));
    }

    /// <summary>Moves the clock, then gives the timers' continuations (on the thread pool) time to run.</summary>
    private static async Task AdvanceAsync(FakeTimeProvider time, TimeSpan by)
    {
        time.Advance(by);
        await Task.Delay(5);
    }

    private static async Task<bool> UntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        return condition();
    }
}
