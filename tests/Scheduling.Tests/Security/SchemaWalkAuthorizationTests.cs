using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Scheduling.Schema.Identity;
using Scheduling.Testing;
using Scheduling.Tests.Fhir;
using Xunit.Abstractions;

namespace Scheduling.Tests.Security;

/// <summary>
/// The walk over the whole schema: from introspection, every field whose type can hold a Patient, Appointment or
/// AppointmentResponse (directly, or through lists, unions, connections, payloads) gets a query built for it,
/// with its arguments filled from a practice where another patient sits on every path (<see cref="ExposurePractice"/>),
/// and is asked as a patient, as a caller without a role and as an unrelated practitioner: nothing of the other
/// patient may come back. A field the walk cannot fill an argument for, or does not reach, fails the test, so a new
/// field is walked as soon as it exists; the same walk as a scheduler must find the other patient (it does reach them).
/// </summary>
[Collection(MedplumCollection.Name)]
public sealed class SchemaWalkAuthorizationTests(MedplumFixture medplum, ITestOutputHelper output)
{
    private static readonly string[] Sensitive = ["Patient", "Appointment", "AppointmentResponse"];

    /// <summary>Entity types on one path, at most (connections, edges and value types do not count).</summary>
    private const int MaxHops = 3;

    private const string Introspection = """
        { __schema { queryType { name } mutationType { name } types { kind name
            fields { name args { name type { ...T } } type { ...T } }
            inputFields { name type { ...T } }
            possibleTypes { name } } } }
        fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
        """;

    [Fact]
    public async Task No_field_of_any_shape_gives_another_patients_data_to_a_patient_a_role_less_caller_or_an_unrelated_practitioner()
    {
        // The walk's trees are deep by design (node and nodes reach every entity type): the complexity and search
        // limits (tested elsewhere) are lifted, authorization is not.
        var gateway = await medplum.GatewayAsync([.. TestTokens.Settings, ("GraphQL:MaxComplexity", "1000000000"), ("GraphQL:MaxFhirSearches", "10000")]);
        var practice = await ExposurePractice.CreateAsync(medplum.Store, gateway);
        var schema = new WalkedSchema((await gateway.QueryAsync(Introspection, bearerToken: TestTokens.Scheduler())).At("data.__schema")!, practice);
        var operations = schema.Operations().ToList();
        output.WriteLine($"largest operation: {operations.Max(o => o.Length)} characters");
        Assert.Empty(schema.Unfillable);
        Assert.Empty(schema.Unreached());

        var failures = new List<string>();
        var callers = new (string Name, string Token)[]
        {
            ("patient", TestTokens.Patient(practice.Me.Id!)),
            ("role-less", TestTokens.Issue(("scope", "openid"))),
            ("unrelated practitioner", TestTokens.Practitioner(practice.B.Practitioner.Id!)),
        };
        foreach (var (name, token) in callers)
        {
            foreach (var operation in operations)
            {
                using var response = await gateway.PostAsync(operation, bearerToken: token);
                var text = await response.Content.ReadAsStringAsync();
                if ((int)response.StatusCode >= 500 || JsonNode.Parse(text) is not JsonObject answer)
                {
                    failures.Add($"{name}: {(int)response.StatusCode} for {operation}");
                    continue;
                }

                if (answer["errors"]?.AsArray().FirstOrDefault(e => e.At("extensions.code")?.GetValue<string>() is not ("FORBIDDEN" or null)) is { } odd &&
                    odd.At("extensions.code")!.GetValue<string>() is var code && code != "BAD_USER_INPUT")
                {
                    failures.Add($"{name}: unexpected {code} ({odd["message"]}) for {operation}");
                }

                if (practice.LeaksIn(answer, operation) is { Count: > 0 } leaks)
                {
                    failures.Add($"{name}: leaks {string.Join(", ", leaks)} through {operation[..Math.Min(300, operation.Length)]}: {text[..Math.Min(400, text.Length)]}");
                }
            }
        }

        // The same walk as the front desk finds the other patient, on the schedule's actors too: it reaches them.
        var found = new HashSet<string>();
        foreach (var operation in operations.Where(o => o.StartsWith("query", StringComparison.Ordinal)))
        {
            var answer = await gateway.QueryAsync(operation, bearerToken: TestTokens.Scheduler());
            found.UnionWith(practice.LeaksIn(answer, string.Empty));
            if (operation.Contains("schedule(id:", StringComparison.Ordinal))
            {
                Assert.Contains(practice.Other.Name[0].Family!, answer.ToJsonString(), StringComparison.Ordinal);
            }
        }

        output.WriteLine($"schema walk: {operations.Count} operations ({operations.Sum(o => o.Length) / 1024} KB) x {callers.Length} callers, {failures.Count} failures");
        foreach (var failure in failures.Take(30))
        {
            output.WriteLine(failure);
        }

        Assert.Superset(new HashSet<string> { practice.Other.Id!, practice.Other.Name[0].Family!, practice.Other.BirthDate!, practice.Other.Telecom[1].Value! }, found);
        Assert.Empty(failures);
    }

    /// <summary>The introspected schema, and queries built from it with the practice's ids for arguments.</summary>
    private sealed class WalkedSchema
    {
        private readonly Dictionary<string, JsonNode> _types;
        private readonly HashSet<string> _holding;
        private readonly ExposurePractice _practice;
        private readonly HashSet<string> _walked = [];
        private readonly string _query;
        private readonly string? _mutation;

        public WalkedSchema(JsonNode schema, ExposurePractice practice)
        {
            _practice = practice;
            _types = schema["types"]!.AsArray().ToDictionary(t => t!["name"]!.GetValue<string>(), t => t!);
            _query = schema.At("queryType.name")!.GetValue<string>();
            _mutation = schema.At("mutationType.name")?.GetValue<string>();
            _holding = [.. Sensitive];
            // Fixpoint: a type holds a sensitive type if one of its fields (or union members) does.
            for (var changed = true; changed;)
            {
                changed = false;
                foreach (var (name, type) in _types.Where(t => !_holding.Contains(t.Key) && !t.Key.StartsWith("__", StringComparison.Ordinal)))
                {
                    var inner = Fields(type).Select(f => Named(f["type"]!)).Concat(type["possibleTypes"]?.AsArray().Select(p => p!["name"]!.GetValue<string>()) ?? []);
                    if (inner.Any(_holding.Contains))
                    {
                        changed |= _holding.Add(name);
                    }
                }
            }
        }

        public List<string> Unfillable { get; } = [];

        /// <summary>Fields that hold a sensitive type, on types reachable from Query or Mutation, that no operation selected.</summary>
        public IEnumerable<string> Unreached()
        {
            var reachable = new HashSet<string>();
            var queue = new Queue<string>([_query, .. _mutation is null ? Array.Empty<string>() : [_mutation]]);
            while (queue.TryDequeue(out var name))
            {
                if (reachable.Add(name) && _types[name] is var type)
                {
                    foreach (var inner in Fields(type).Select(f => Named(f["type"]!)).Concat(type["possibleTypes"]?.AsArray().Select(p => p!["name"]!.GetValue<string>()) ?? []))
                    {
                        queue.Enqueue(inner);
                    }
                }
            }

            return reachable.Where(_holding.Contains)
                .SelectMany(name => Fields(_types[name]).Where(f => _holding.Contains(Named(f["type"]!))).Select(f => name + "." + f["name"]!.GetValue<string>()))
                .Where(field => !_walked.Contains(field));
        }

        /// <summary>Per root field: plain and with probing arguments (another patient's reference, record number, name), through nodes and through edges.</summary>
        public IEnumerable<string> Operations()
        {
            foreach (var (root, keyword) in new[] { (_query, "query"), (_mutation, "mutation") })
            {
                if (root is null)
                {
                    continue;
                }

                foreach (var field in Fields(_types[root]).Where(f => _holding.Contains(Named(f["type"]!))))
                {
                    foreach (var probe in new[] { false, true })
                    {
                        foreach (var viaEdges in new[] { false, true })
                        {
                            var selection = Field(root, field, [], probe, viaEdges, hops: 0);
                            if (selection is not null)
                            {
                                yield return keyword + " { " + selection + " }";
                            }
                        }
                    }
                }
            }
        }

        private string? Field(string owner, JsonNode field, HashSet<string> path, bool probe, bool viaEdges, int hops)
        {
            var name = field["name"]!.GetValue<string>();
            var type = Named(field["type"]!);
            var kind = _types[type]["kind"]!.GetValue<string>();
            if (owner.EndsWith("Connection", StringComparison.Ordinal) && name == (viaEdges ? "nodes" : "edges"))
            {
                return null;
            }

            var arguments = Arguments(owner, field, probe);
            if (arguments is null)
            {
                return null;
            }

            // Aliased by owner: union members may have fields of one name and different types.
            var alias = owner + "_" + name + ": " + name;
            if (kind is "SCALAR" or "ENUM")
            {
                return alias + arguments;
            }

            var entity = !IsWrapper(type) && _holding.Contains(type);
            if (entity && (path.Contains(type) || hops >= MaxHops))
            {
                return null;
            }

            var inner = Selection(type, entity ? [.. path, type] : path, probe, viaEdges, entity ? hops + 1 : hops);
            _walked.Add(owner + "." + name);
            return inner.Length == 0 ? null : $"{alias}{arguments} {{ {inner} }}";
        }

        private string Selection(string typeName, HashSet<string> path, bool probe, bool viaEdges, int hops)
        {
            var type = _types[typeName];
            if (type["kind"]!.GetValue<string>() is "UNION" or "INTERFACE")
            {
                var members = type["possibleTypes"]!.AsArray().Select(p => p!["name"]!.GetValue<string>())
                    .Select(member => (member, Selection(member, _holding.Contains(member) ? [.. path, member] : path, probe, viaEdges, hops)))
                    .Where(m => m.Item2.Length > 0)
                    .Select(m => $"... on {m.member} {{ {m.Item2} }}");
                return "__typename " + string.Join(' ', members);
            }

            return string.Join(' ', Fields(type).Select(f => Field(typeName, f, path, probe, viaEdges, hops)).OfType<string>());
        }

        /// <summary>Required arguments filled from the practice (unknown ones are reported); optional ones only when probing.</summary>
        private string? Arguments(string owner, JsonNode field, bool probe)
        {
            var returns = Named(field["type"]!);
            var filled = new List<string>();
            foreach (var argument in field["args"]!.AsArray())
            {
                var name = argument!["name"]!.GetValue<string>();
                var required = argument["type"]!["kind"]!.GetValue<string>() == "NON_NULL";
                // Pages of a few items keep the deep trees within the complexity limit (which counts by 'first').
                var value = required ? Required(name, returns, argument["type"]!) : name == "first" ? "3" : probe ? Probe(name, Named(argument["type"]!)) : null;
                if (value is null && required)
                {
                    Unfillable.Add($"{owner}.{field["name"]}({name})");
                    return null;
                }

                if (value is not null)
                {
                    filled.Add(name + ": " + value);
                }
            }

            return filled.Count == 0 ? string.Empty : "(" + string.Join(", ", filled) + ")";
        }

        private string? Required(string name, string returns, JsonNode type) => (name, returns) switch
        {
            // node(id:) asks for the other patient's appointment; nodes(ids:) for an entity of every Node type at once.
            ("id", "Node") => Literal(GlobalId.Encode("Appointment", _practice.OthersAppointment)),
            ("ids", "Node") => NodeIds(),
            ("id", _) => IdOf(returns) is { } id ? Literal(id) : null,
            ("input", _) => Input(Named(type)),
            _ => null,
        };

        /// <summary>The global id of the practice's entity of every type that implements Node; null if one has none.</summary>
        private string? NodeIds()
        {
            var ids = _types["Node"]["possibleTypes"]!.AsArray().Select(p => p!["name"]!.GetValue<string>())
                .Select(type => _practice.GlobalIdOf(type) is { } id ? Literal(id) : null).ToList();
            return ids.Contains(null) ? null : "[" + string.Join(", ", ids) + "]";
        }

        private string? IdOf(string type) => _practice.IdOf(type);

        private string? Probe(string name, string type) => (name, type) switch
        {
            ("actor", _) => Literal("Patient/" + _practice.Other.Id),
            ("identifier", _) => Literal(ExposurePractice.MrnSystem + "|" + _practice.OthersMrn),
            ("name", _) => Literal(_practice.Other.Name[0].Family!),
            ("where", "AppointmentFilterInput") => $"{{ patientId: {Literal(_practice.Other.Id!)} }}",
            ("where", "SlotFilterInput") => $"{{ scheduleIds: [{Literal(_practice.PatientSchedule.Id!)}] }}",
            _ => null,
        };

        /// <summary>An input object: every field the walk knows a value for (required ones must be known).</summary>
        private string? Input(string typeName)
        {
            var fields = new List<string>();
            foreach (var field in _types[typeName]["inputFields"]!.AsArray())
            {
                var name = field!["name"]!.GetValue<string>();
                var value = InputValue(name);
                if (value is null && field["type"]!["kind"]!.GetValue<string>() == "NON_NULL")
                {
                    Unfillable.Add($"{typeName}.{name}");
                    return null;
                }

                if (value is not null)
                {
                    fields.Add(name + ": " + value);
                }
            }

            return "{ " + string.Join(", ", fields) + " }";
        }

        private string? InputValue(string name)
        {
            var day = DateTimeOffset.UtcNow.Date.AddDays(5);
            string Time(int hour) => Literal(new DateTimeOffset(day.Year, day.Month, day.Day, hour, 0, 0, TimeSpan.Zero).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            return name switch
            {
                "slotIds" => $"[{Literal(_practice.PatientScheduleSlots[2].Id!)}]",
                "scheduleIds" => $"[{Literal(_practice.PatientSchedule.Id!)}]",
                "practitionerIds" => $"[{Literal(_practice.A.Practitioner.Id!)}]",
                "patientId" => Literal(_practice.Other.Id!),
                "appointmentId" => Literal(_practice.OthersAppointment),
                "scheduleId" => Literal(_practice.PatientSchedule.Id!),
                "slotId" => Literal(_practice.PatientScheduleSlots[3].Id!),
                "actorId" => Literal("Patient/" + _practice.Other.Id),
                "actorIds" => $"[{Literal("Patient/" + _practice.Other.Id)}]",
                "clientMutationId" => Literal(_practice.OthersKey),
                "reason" or "comment" => Literal("walk"),
                "status" => "CHECKED_IN",
                "participantStatus" => "DECLINED",
                "timeZone" => Literal("UTC"),
                "firstDate" => Literal(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                "availableTimes" => "[{ daysOfWeek: [MONDAY], startTime: \"09:00\", endTime: \"10:00\" }]",
                "daysOfWeek" => "[MONDAY]",
                "startTime" => Literal("09:00"),
                "endTime" => Literal("10:00"),
                "slotMinutes" => "30",
                "first" => "3",
                "from" or "to" => Literal(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                "minutes" => "30",
                "recurrence" => "{ count: 2 }",
                "windows" => $"[{{ start: {Time(9)}, end: {Time(10)} }}]",
                "durationMinutes" => "30",
                "start" => Time(9),
                "end" => Time(10),
                _ => null,
            };
        }

        private static bool IsWrapper(string type) => type.EndsWith("Connection", StringComparison.Ordinal) || type.EndsWith("Edge", StringComparison.Ordinal);

        private static IEnumerable<JsonNode> Fields(JsonNode type) => type["fields"]?.AsArray().OfType<JsonNode>() ?? [];

        private static string Named(JsonNode type) => type["name"]?.GetValue<string>() ?? Named(type["ofType"]!);

        private static string Literal(string value)
        {
            var sb = new StringBuilder("\"");
            foreach (var c in value)
            {
                sb.Append(c is '"' or '\\' ? "\\" + c : c.ToString());
            }

            return sb.Append('"').ToString();
        }
    }
}
