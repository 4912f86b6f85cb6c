using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Subscriptions;
using Scheduling.Testing;

namespace Scheduling.Tests.Subscriptions;

public static class GatewayWaits
{
    /// <summary>Waits until the gateway's hub has <paramref name="more"/> listeners more than <paramref name="before"/>: the subscriptions are live.</summary>
    public static async Task UntilListeningAsync(this GatewayServer gateway, int before, int more = 1)
    {
        var hub = gateway.Services.GetRequiredService<ChangeHub>();
        // Returns as soon as the listeners appear; the ceiling is for a loaded CI machine starting Node peers.
        for (var i = 0; i < 600 && hub.ListenerCount < before + more; i++)
        {
            await Task.Delay(25);
        }

        Assert.True(hub.ListenerCount >= before + more, "the subscription did not start");
    }

    public static int Listeners(this GatewayServer gateway) => gateway.Services.GetRequiredService<ChangeHub>().ListenerCount;
}
