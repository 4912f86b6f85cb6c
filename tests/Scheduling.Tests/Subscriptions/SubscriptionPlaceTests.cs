using System.Net;
using System.Security.Claims;
using GraphQL;
using GraphQL.SystemTextJson;
using GraphQL.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.Execution;
using Scheduling.Gateway.Streaming;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Subscriptions;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// A subscription holds places (its caller's and the instance's under the caps, and one in its group) from before
/// it subscribes. When subscribing throws (the transport's observer fails at once, e.g. told at its subscription that
/// its group has ended while its connection is going), every place is given back, as if it had never subscribed:
/// after any number of failing subscribes nothing is held, and the caps still admit as many as before.
/// </summary>
public sealed class SubscriptionPlaceTests
{
    private const int Failing = 50;

    [Fact]
    public void After_fifty_subscribes_that_throw_no_place_is_held_and_the_cap_admits_as_many_again()
    {
        var subscriptions = new CallerSubscriptions(Options.Create(new SubscriptionOptions { MaxPerCaller = Failing, MaxPerInstance = Failing }));
        var caller = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "someone")], "test"));
        for (var i = 0; i < Failing; i++)
        {
            var (place, refused) = subscriptions.Take(caller, IPAddress.Loopback);
            Assert.Null(refused);
            var stream = CallerSubscriptions.Holding(new ThrowingStream(), place!);
            Assert.Throws<InvalidOperationException>(() => stream.Subscribe(new Throwing()));
        }

        Assert.Equal(0, subscriptions.Open);
        Assert.Equal(0, subscriptions.OpenBy(caller, IPAddress.Loopback));
        Assert.Null(subscriptions.Take(caller, IPAddress.Loopback).Refused);
    }

    [Fact]
    public async Task Members_whose_subscription_throws_give_their_place_in_the_group_back()
    {
        await using var services = new ServiceCollection().AddScoped<SubscriptionReplay>().BuildServiceProvider();
        var groups = new SubscriptionGroups(services.GetRequiredService<IServiceScopeFactory>(), new GraphQLSerializer(), Options.Create(new FhirOptions()), Options.Create(new SubscriptionOptions()));
        var live = new CompletingStream();
        OperationExecution execute = (_, _, _) => Task.FromResult(new ExecutionResult { Executed = true, Streams = new Dictionary<string, IObservable<ExecutionResult>> { ["f"] = live } });
        var request = new GraphQLRequest { Query = "subscription { f }" };
        var caller = new ClaimsPrincipal(new ClaimsIdentity([new Claim("role", "scheduler")], "test"));

        var members = new List<ExecutionResult>();
        for (var i = 0; i < Failing; i++)
        {
            members.Add(await groups.ExecuteAsync(request, caller, services, execute, CancellationToken.None));
        }

        Assert.Equal(Failing, groups.Members);
        live.Complete(); // told to each at its subscription, and each one's observer throws
        foreach (var member in members)
        {
            Assert.Throws<InvalidOperationException>(() => member.Streams!["f"].Subscribe(new Throwing()));
        }

        Assert.Equal(0, groups.Members);
    }

    private sealed class ThrowingStream : IObservable<ExecutionResult>
    {
        public IDisposable Subscribe(IObserver<ExecutionResult> observer) => throw new InvalidOperationException("cannot subscribe");
    }

    private sealed class CompletingStream : IObservable<ExecutionResult>
    {
        private readonly List<IObserver<ExecutionResult>> _observers = [];

        public IDisposable Subscribe(IObserver<ExecutionResult> observer)
        {
            _observers.Add(observer);
            return new Nothing();
        }

        public void Complete() => _observers.ToList().ForEach(o => o.OnCompleted());
    }

    private sealed class Nothing : IDisposable
    {
        public void Dispose()
        {
        }
    }

    /// <summary>A transport's observer whose connection is going: it fails whatever it is told.</summary>
    private sealed class Throwing : IObserver<ExecutionResult>
    {
        public void OnNext(ExecutionResult value) => throw new InvalidOperationException("the connection is gone");

        public void OnError(Exception error) => throw new InvalidOperationException("the connection is gone");

        public void OnCompleted() => throw new InvalidOperationException("the connection is gone");
    }
}
