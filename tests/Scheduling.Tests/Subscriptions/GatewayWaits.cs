using Microsoft.Extensions.DependencyInjection;
using Scheduling.Gateway.Streaming;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;

namespace Scheduling.Tests.Subscriptions;

public static class GatewayWaits
{
    /// <summary>Waits until the gateway has <paramref name="more"/> listeners more than <paramref name="before"/>: the subscriptions are live.</summary>
    public static async Task UntilListeningAsync(this GatewayServer gateway, int before, int more = 1)
    {
        // Returns as soon as the listeners appear; the ceiling is for a loaded CI machine starting Node peers.
        for (var i = 0; i < 600 && gateway.Listeners() < before + more; i++)
        {
            await Task.Delay(25);
        }

        Assert.True(gateway.Listeners() >= before + more, "the subscription did not start");
    }

    /// <summary>
    /// The hub's listeners, counting each subscriber once: a group of identical subscribers follows the hub once
    /// (<see cref="SubscriptionGroups"/>), so its one follower is counted as its members.
    /// </summary>
    public static int Listeners(this GatewayServer gateway)
    {
        var groups = gateway.Services.GetRequiredService<SubscriptionGroups>();
        return gateway.Services.GetRequiredService<ChangeHub>().ListenerCount - groups.Count + groups.Members;
    }

    /// <summary>The hub's followers and listeners as they are: a group of identical subscribers is one.</summary>
    public static int HubListeners(this GatewayServer gateway) => gateway.Services.GetRequiredService<ChangeHub>().ListenerCount;
}
