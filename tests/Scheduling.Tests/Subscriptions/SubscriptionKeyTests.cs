using System.Security.Claims;
using CsCheck;
using GraphQL;
using GraphQL.Transport;
using Scheduling.Gateway.Streaming;
using Scheduling.Schema.Authorization;
using Scheduling.Schema.Fhir;

namespace Scheduling.Tests.Subscriptions;

/// <summary>
/// The rule that keeps shared executions from leaking: two subscriptions share a key exactly when their access is
/// the same (the <see cref="SchedulingCaller"/>, and the token itself when FHIR is asked with the caller's identity)
/// and their requests are the same but for where they resume.
/// </summary>
public sealed class SubscriptionKeyTests
{
    private const string Query = "subscription { appointmentChanged { appointmentId } }";

    private static readonly Gen<(string Role, string Patient, string Practitioner, string Token)> Caller =
        Gen.Select(Gen.OneOf("patient", "practitioner", "scheduler", "admin", "none"), Gen.OneOf("p1", "p2"), Gen.OneOf("d1", "d2"), Gen.OneOf("t1", "t2"));

    [Theory]
    [InlineData(UpstreamIdentity.Gateway)]
    [InlineData(UpstreamIdentity.Caller)]
    public void Two_callers_share_a_key_exactly_when_their_access_is_the_same(UpstreamIdentity upstream)
    {
        var fhir = new FhirOptions { UpstreamIdentity = upstream };
        Gen.Select(Caller, Caller).Sample(pair =>
        {
            var (one, two) = (Principal(pair.Item1), Principal(pair.Item2));
            var sameAccess = SchedulingCaller.From(one) == SchedulingCaller.From(two) &&
                             (upstream == UpstreamIdentity.Gateway || pair.Item1.Token == pair.Item2.Token);
            var request = new GraphQLRequest { Query = Query };
            return sameAccess == (SubscriptionKey.Of(request, one, fhir) == SubscriptionKey.Of(request, two, fhir));
        });
    }

    [Fact]
    public void The_resume_point_does_not_part_subscribers_but_any_other_difference_in_the_request_does()
    {
        var fhir = new FhirOptions();
        var caller = Principal(("scheduler", "p1", "d1", "t1"));
        string Key(string? operationName = null, Inputs? variables = null, Inputs? extensions = null) =>
            SubscriptionKey.Of(new GraphQLRequest { Query = Query, OperationName = operationName, Variables = variables, Extensions = extensions }, caller, fhir);

        Assert.Equal(Key(), Key(extensions: new Inputs(new Dictionary<string, object?> { ["lastEventId"] = "1-0" })));
        Assert.NotEqual(Key(), Key(extensions: new Inputs(new Dictionary<string, object?> { ["lastEventId"] = "1-0", ["other"] = 1 })));
        Assert.NotEqual(Key(), Key(operationName: "Watch"));
        Assert.NotEqual(Key(variables: new Inputs(new Dictionary<string, object?> { ["p"] = 1 })), Key(variables: new Inputs(new Dictionary<string, object?> { ["p"] = "1" })));
        Assert.NotEqual(Key(variables: new Inputs(new Dictionary<string, object?> { ["p"] = 1 })), Key(variables: new Inputs(new Dictionary<string, object?> { ["p"] = 1.0 })));
        Assert.NotEqual(Key(variables: new Inputs(new Dictionary<string, object?> { ["p"] = new List<object?> { "a", "b" } })), Key(variables: new Inputs(new Dictionary<string, object?> { ["p"] = "a,b" })));
        Assert.NotEqual(
            SubscriptionKey.Of(new GraphQLRequest { Query = Query }, caller, fhir),
            SubscriptionKey.Of(new GraphQLRequest { Query = Query + " " }, caller, fhir));
    }

    private static ClaimsPrincipal Principal((string Role, string Patient, string Practitioner, string Token) caller)
    {
        var identity = new ClaimsIdentity(
            [new Claim(SchedulingClaims.Role, caller.Role), new Claim(SchedulingClaims.Patient, caller.Patient), new Claim(SchedulingClaims.Practitioner, caller.Practitioner)],
            "test") { BootstrapContext = caller.Token };
        return new ClaimsPrincipal(identity);
    }
}
