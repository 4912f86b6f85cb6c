using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Scheduling.Schema.Subscriptions;

/// <summary>
/// Work claimed once across instances, where the change bus lives: the first claim of a key wins for a while (an
/// event handled by one instance of many), and a lease is held by one instance at a time until released or, if its
/// holder died, until it runs out. Redis when configured (SET NX PX; a release deletes only its own lease), else
/// this instance's memory (one instance: every claim is its own).
/// </summary>
public interface IInstanceClaims
{
    /// <summary>True for the first claim of <paramref name="key"/> within <paramref name="keep"/>, false for every later one.</summary>
    Task<bool> ClaimOnceAsync(string key, TimeSpan keep);

    /// <summary>The lease's token if this caller now holds it; null while another does.</summary>
    Task<string?> TryLeaseAsync(string key, TimeSpan lease);

    /// <summary>Gives the lease back, if this token still holds it.</summary>
    Task ReleaseAsync(string key, string token);

    /// <summary>Runs the lease on for <paramref name="lease"/> from now if this token still holds it; false when it lapsed to another.</summary>
    Task<bool> RenewAsync(string key, string token, TimeSpan lease);
}

/// <summary>
/// A lease held while work runs: renewed every third of its length, so work longer than the lease keeps it (and an
/// instance that dies loses it within one length). When a renewal finds the lease gone (this instance stalled past
/// it and another took it), <see cref="Lost"/> is cancelled: the work stops rather than run beside the new holder.
/// </summary>
public sealed class HeldLease : IAsyncDisposable
{
    private readonly IInstanceClaims _claims;
    private readonly string _key;
    private readonly string _token;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _lost = new();
    private readonly Task _renewing;

    private HeldLease(IInstanceClaims claims, string key, string token, TimeSpan lease, TimeProvider time)
    {
        (_claims, _key, _token) = (claims, key, token);
        _renewing = RenewAsync(lease, time);
    }

    /// <summary>Cancelled when the lease was found lost to another holder.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>The lease, held and renewed from now on; null while another holds it.</summary>
    public static async Task<HeldLease?> TryTakeAsync(IInstanceClaims claims, string key, TimeSpan lease, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(claims);
        return await claims.TryLeaseAsync(key, lease) is { } token ? new HeldLease(claims, key, token, lease, time) : null;
    }

    /// <summary>Stops renewing and gives the lease back.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _renewing;
        try
        {
            await _claims.ReleaseAsync(_key, _token);
        }
        finally
        {
            _stop.Dispose();
            _lost.Dispose();
        }
    }

    private async Task RenewAsync(TimeSpan lease, TimeProvider time)
    {
        using var timer = new PeriodicTimer(lease / 3, time);
        var renewedAt = time.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                // Redis away for a moment: the lease stands until it lapses, counted from the last renewal that
                // reached Redis; past that another instance may hold it, so this one stops.
                var renewed = await RenewedAsync(lease);
                if (renewed == true)
                {
                    renewedAt = time.GetUtcNow();
                }

                if (renewed == false || (renewed is null && time.GetUtcNow() - renewedAt >= lease))
                {
                    await _lost.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // released
        }
    }

    /// <summary>Renewed, lost to another holder, or not known (Redis did not answer).</summary>
    private async Task<bool?> RenewedAsync(TimeSpan lease)
    {
        try
        {
            return await _claims.RenewAsync(_key, _token, lease);
        }
        catch (RedisException)
        {
            return null;
        }
    }
}

public sealed class RedisInstanceClaims(RedisConnection connection) : IInstanceClaims
{
    private const string Release = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private const string Renew = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """;

    private readonly IDatabase _db = connection?.Multiplexer.GetDatabase() ?? throw new ArgumentNullException(nameof(connection));

    public Task<bool> ClaimOnceAsync(string key, TimeSpan keep) => _db.StringSetAsync(key, "1", keep, When.NotExists);

    public async Task<string?> TryLeaseAsync(string key, TimeSpan lease)
    {
        var token = Guid.NewGuid().ToString("N");
        return await _db.StringSetAsync(key, token, lease, When.NotExists) ? token : null;
    }

    public Task ReleaseAsync(string key, string token) => _db.ScriptEvaluateAsync(Release, [key], [token]);

    public async Task<bool> RenewAsync(string key, string token, TimeSpan lease) =>
        (int)await _db.ScriptEvaluateAsync(Renew, [key], [token, (long)lease.TotalMilliseconds]) == 1;
}

public sealed class InMemoryInstanceClaims(TimeProvider time) : IInstanceClaims
{
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Until)> _held = new(StringComparer.Ordinal);
    private DateTimeOffset _nextSweep;

    public Task<bool> ClaimOnceAsync(string key, TimeSpan keep) => Task.FromResult(TryTake(key, "1", keep));

    public Task<string?> TryLeaseAsync(string key, TimeSpan lease)
    {
        var token = Guid.NewGuid().ToString("N");
        return Task.FromResult(TryTake(key, token, lease) ? token : null);
    }

    public Task ReleaseAsync(string key, string token)
    {
        _held.TryRemove(new KeyValuePair<string, (string, DateTimeOffset)>(key, _held.TryGetValue(key, out var held) && held.Token == token ? held : default));
        return Task.CompletedTask;
    }

    public Task<bool> RenewAsync(string key, string token, TimeSpan lease)
    {
        var now = time.GetUtcNow();
        return Task.FromResult(_held.TryGetValue(key, out var held) && held.Token == token && held.Until > now
            && _held.TryUpdate(key, (token, now + lease), held));
    }

    private bool TryTake(string key, string token, TimeSpan keep)
    {
        var now = time.GetUtcNow();
        SweepIfDue(now);
        while (true)
        {
            if (_held.TryAdd(key, (token, now + keep)))
            {
                return true;
            }

            // Held: by someone else until it lapses; a lapsed claim is taken over in place (no scan of every key).
            if (_held.TryGetValue(key, out var held)
                && (held.Until > now || _held.TryUpdate(key, (token, now + keep), held)))
            {
                return held.Until <= now;
            }
        }
    }

    /// <summary>Lapsed claims are dropped at most once a minute, not on every claim (each change claims one).</summary>
    private void SweepIfDue(DateTimeOffset now)
    {
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now.AddMinutes(1);
        foreach (var stale in _held.Where(h => h.Value.Until <= now).ToList())
        {
            _held.TryRemove(stale);
        }
    }
}
