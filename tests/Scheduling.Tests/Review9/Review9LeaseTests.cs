using Microsoft.Extensions.Time.Testing;
using Scheduling.Schema.Subscriptions;
using StackExchange.Redis;

namespace Scheduling.Tests.Review9;

/// <summary>Review9: a holder cut off from Redis longer than the lease is never told it lost it.</summary>
public sealed class Review9LeaseTests
{
    private static readonly TimeSpan Length = TimeSpan.FromSeconds(60);

    /// <summary>Claims whose renewals fail with a Redis error after the lease is taken (this instance cut off from Redis; the key lapses there).</summary>
    private sealed class CutOff(InMemoryInstanceClaims inner) : IInstanceClaims
    {
        public Task<bool> ClaimOnceAsync(string key, TimeSpan keep) => inner.ClaimOnceAsync(key, keep);

        public Task<string?> TryLeaseAsync(string key, TimeSpan lease) => inner.TryLeaseAsync(key, lease);

        public Task ReleaseAsync(string key, string token) => Task.CompletedTask;

        public Task<bool> RenewAsync(string key, string token, TimeSpan lease) =>
            throw new RedisException("cut off");
    }

    [Fact]
    public async Task Renewals_failing_for_longer_than_the_lease_mark_it_lost()
    {
        var time = new FakeTimeProvider();
        var shared = new InMemoryInstanceClaims(time);
        await using var held = await HeldLease.TryTakeAsync(new CutOff(shared), "pass", Length, time);
        Assert.NotNull(held);

        // Three minutes without one renewal reaching Redis; the key lapsed and another instance took it.
        for (var second = 0; second < 3 * 60; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(2);
        }

        Assert.NotNull(await shared.TryLeaseAsync("pass", Length));
        for (var i = 0; i < 100 && !held.Lost.IsCancellationRequested; i++)
        {
            await Task.Delay(10);
        }

        // The pass still runs beside the new holder: Lost should be cancelled once no renewal succeeded for a lease's length.
        Assert.True(held.Lost.IsCancellationRequested);
    }
}
