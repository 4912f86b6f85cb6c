using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;

namespace Scheduling.Tests.Subscriptions;

public static class GatewayWaits
{
    /// <summary>Waits until the gateway's hub has more listeners than <paramref name="before"/>: a subscription is live.</summary>
    public static async Task UntilListeningAsync(this GatewayServer gateway, int before)
    {
        var hub = gateway.Services.GetRequiredService<ChangeHub>();
        // Returns as soon as the listener appears; the ceiling is for a loaded CI machine starting Node peers.
        for (var i = 0; i < 600 && hub.ListenerCount <= before; i++)
        {
            await Task.Delay(25);
        }

        Assert.True(hub.ListenerCount > before, "the subscription did not start");
    }

    public static int Listeners(this GatewayServer gateway) => gateway.Services.GetRequiredService<ChangeHub>().ListenerCount;
}
