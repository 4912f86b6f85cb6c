using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Common;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Fhir.InMemory;
using Scheduling.Testing;
using Scheduling.Tests.Security;

namespace Scheduling.Tests.Security;

/// <summary>
/// Found by review 11: plans kept per document node and decisions memoized without a lock, attacked across callers and requests:
/// the same document text (week view, many paths, under aliases, with @include on a variable), sent in turn by the
/// front desk, the patient, the desk again, then the patient with the opposite variable, with the planner on.
/// Nothing of the other patient may come back to the patient, and the patient's answer must not depend on who sent
/// the document before.
/// </summary>
public sealed class CrossCallerDocumentTests
{
    private const string Document = """
        query($s: ID!, $ps: ID!, $g: ID!, $with: Boolean!) {
          w1: schedule(id: $s) { ...Week }
          w2: schedule(id: $ps) { ...Week }
          w3: schedule(id: $s) { slots(first: 50) { nodes { appointments(first: 5) { nodes { patient @include(if: $with) { fhirId name { family } } } } } } }
          a1: appointment(id: $g) { fhirId patient { fhirId name { family } } participants { actor { ... on Patient { fhirId name { family } } } } }
          l1: appointments(first: 50) { nodes { fhirId patient { fhirId name { family } } slots { schedule { actors { ... on Patient { fhirId name { family } } } } } } }
        }
        fragment Week on Schedule {
          actors { ... on Patient { fhirId name { family } } }
          slots(first: 50) { nodes { id status
            appointments(first: 5) { totalCount nodes { fhirId patient { fhirId name { family } } practitioners { id }
              participants { actor { __typename ... on Patient { fhirId name { family } } } }
              responses(first: 5) { nodes { fhirId actor { ... on Patient { fhirId name { family } } } } } } }
          } }
        }
        """;

    [Fact]
    public async Task The_patients_answer_to_a_document_is_the_same_whoever_sent_it_before_and_leaks_nothing()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?>(TestTokens.GatewaySettings())
        {
            ["Fhir:Includes"] = "On",
            ["GraphQL:MaxComplexity"] = "1000000000",
            ["GraphQL:MaxFhirSearches"] = "10000",
            ["GraphQL:MaxDepth"] = "30",
        });
        IFhirStore store = gateway.Services.GetRequiredService<InMemoryFhirStore>();
        var practice = await ExposurePractice.CreateAsync(store, gateway);
        var patient = TestTokens.Patient(practice.Me.Id!);
        var desk = TestTokens.Scheduler();
        object Vars(bool with) => new { s = practice.A.Schedule.Id, ps = practice.PatientSchedule.Id, g = practice.GroupAppointment, with };

        // Cold: the patient first, on a fresh document node (a copy of the text with a comment after it, so error locations stay).
        var cold = await gateway.QueryAsync(Document + "\n# cold", Vars(true), patient);
        var failures = new List<string>();
        foreach (var (who, token, with) in new[] { ("desk", desk, true), ("patient", patient, true), ("desk", desk, false), ("patient", patient, true), ("patient", patient, false), ("desk", desk, true), ("patient", patient, true) })
        {
            var answer = await gateway.QueryAsync(Document, Vars(with), token);
            if (who == "patient")
            {
                if (practice.LeaksIn(answer, System.Text.Json.JsonSerializer.Serialize(Vars(with))) is { Count: > 0 } leaks)
                {
                    failures.Add($"leak ({with}): {string.Join(", ", leaks)}");
                }

                if (with && answer.ToJsonString() != cold.ToJsonString())
                {
                    failures.Add($"after others, the patient's answer differs from the cold one:\n{answer.ToJsonString()}\ncold:\n{cold.ToJsonString()}");
                }
            }
            else
            {
                Assert.Contains(practice.Other.Name[0].Family!, answer.ToJsonString(), StringComparison.Ordinal);
            }
        }

        Assert.Empty(failures);
    }

    /// <summary>
    /// The lock-free memo under many threads: a key is never answered with another key's value, a value replaced
    /// is never seen older after the newer one was seen by the same thread, through growth from 64 to thousands.
    /// </summary>
    [Fact]
    public void The_instance_memo_never_answers_another_keys_value_under_racing_growth()
    {
        for (var round = 0; round < 20; round++)
        {
            var memo = new InstanceMemo<Box>();
            var keys = Enumerable.Range(0, 4000).Select(_ => new object()).ToArray();
            var wrong = 0;
            Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
            {
                var random = new Random(round * 31 + t);
                for (var i = 0; i < 20000; i++)
                {
                    var key = keys[random.Next(keys.Length)];
                    if (random.Next(2) == 0)
                    {
                        memo.Set(key, new Box(key));
                    }
                    else if (memo.TryGet(key, out var value) && !ReferenceEquals(value.Key, key))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            });

            Assert.Equal(0, wrong);
            foreach (var key in keys)
            {
                Assert.True(!memo.TryGet(key, out var value) || ReferenceEquals(value.Key, key));
            }
        }
    }

    private sealed record Box(object Key);
}
