using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Scheduling.Testing;
using Scheduling.Tests.Subscriptions;

namespace Scheduling.Tests.Security;

/// <summary>
/// The socket's deadline against the gateway's clock (a fake one, moved by hand): closed exactly when the current
/// token's exp passes, whether a renewal moved it later or earlier. <see cref="TokenExpiryTests"/> shows the same
/// with real short-lived tokens and the graphql-ws client.
/// </summary>
public sealed class TokenExpiryClockTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly DateTime _issuedAt = DateTime.UtcNow;
    private GatewayServer _gateway = null!;

    public async Task InitializeAsync()
    {
        var settings = TestTokens.GatewaySettings();
        settings["WebSockets:KeepAliveSeconds"] = "0";
        settings["WebSockets:ConnectionInitWaitTimeoutSeconds"] = "300";
        _gateway = await GatewayServer.StartAsync(settings, services => services.AddSingleton<TimeProvider>(_clock));
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task A_socket_is_open_until_its_tokens_exp_and_closed_with_4403_at_it()
    {
        using var socket = await ConnectAsync(Token("user-a", TimeSpan.FromMinutes(10)));
        // A non-browser client may send its token with the upgrade instead: the same expiry applies.
        using var upgraded = await RawSocket.ConnectAndInitAsync(_gateway,
            headers: new Dictionary<string, string> { ["Authorization"] = "Bearer " + Token("user-a", TimeSpan.FromMinutes(10)) });
        _clock.Advance(TimeSpan.FromMinutes(9));
        await AssertOpenAsync(socket);
        await AssertOpenAsync(upgraded);

        _clock.Advance(TimeSpan.FromMinutes(1.1));
        Assert.Equal(4403, await socket.CloseCodeAsync());
        Assert.Equal(4403, await upgraded.CloseCodeAsync());
    }

    [Fact]
    public async Task A_renewal_moves_the_deadline_to_the_new_tokens_exp_later_or_earlier()
    {
        // (Test tokens are valid from 20 minutes before their exp, so every lifetime here is shorter.)
        using var extended = await ConnectAsync(Token("user-b", TimeSpan.FromMinutes(5)));
        await RenewAsync(extended, Token("user-b", TimeSpan.FromMinutes(15)));
        using var shortened = await ConnectAsync(Token("user-c", TimeSpan.FromMinutes(15)));
        await RenewAsync(shortened, Token("user-c", TimeSpan.FromMinutes(2)));

        _clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(4403, await shortened.CloseCodeAsync());
        _clock.Advance(TimeSpan.FromMinutes(3));
        await AssertOpenAsync(extended);

        _clock.Advance(TimeSpan.FromMinutes(9.1));
        Assert.Equal(4403, await extended.CloseCodeAsync());
    }

    private string Token(string subject, TimeSpan life) =>
        TestTokens.IssueFor(subject, TestTokens.SigningKey, _issuedAt + life, ("role", "admin"));

    private Task<System.Net.WebSockets.ClientWebSocket> ConnectAsync(string token) =>
        RawSocket.ConnectAndInitAsync(_gateway, JsonSerializer.Serialize(new { Authorization = "Bearer " + token }));

    private static async Task RenewAsync(System.Net.WebSockets.ClientWebSocket socket, string token)
    {
        await socket.SendTextAsync(JsonSerializer.Serialize(new { type = "ping", payload = new { Authorization = "Bearer " + token } }));
        // Answered once the new deadline is set, and without the token in it.
        Assert.Equal("""{"type":"pong"}""", await socket.ReceiveUntilAsync(_ => true));
    }

    private static async Task AssertOpenAsync(System.Net.WebSockets.ClientWebSocket socket)
    {
        await socket.SendTextAsync("""{"type":"ping","payload":{"still":"here"}}""");
        Assert.Equal("""{"type":"pong","payload":{"still":"here"}}""", await socket.ReceiveUntilAsync(_ => true));
    }
}
