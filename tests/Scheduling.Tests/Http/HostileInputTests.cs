using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Testing;
using Xunit.Abstractions;

namespace Scheduling.Tests.Http;

/// <summary>
/// Hostile input: malformed requests, query bombs, oversized and invalid values, FHIR search injection in every
/// string argument, and one patient reaching for other patients' data by every path. Each must get a 4xx or a
/// GraphQL error with a stable code within 5 s: never a 5xx, never internals or another patient's data in the
/// answer, and the server stays up. Every request comes from a signed-in patient (Ned Flanders) unless it is about tokens.
/// </summary>
public sealed class HostileInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Injections =
    [
        "1&_include=*", "x,Practitioner/alice-smith", "x|y", "$everything", "\\", "%26_count%3D1000", "x&_revinclude=*",
        "' OR 1=1 --", "<script>alert(1)</script>", "../../../etc/passwd", "Practitioner/alice-smith/_history", "\u0000", "😀",
        new string('a', 10_000),
    ];

    private const string Caller = "ned-flanders";

    /// <summary>Internals, and the other seeded patients (the Simpsons): their names, record numbers, birth dates, e-mail.</summary>
    private static readonly string[] Leaks =
    [
        "   at ", "Exception", "System.", "/work/", "Hl7.Fhir", "StackTrace", "127.0.0.1",
        "Simpson", "simpson@example.org", "MRN-HOMER", "MRN-MARGE", "MRN-BART", "MRN-LISA", "1956-05-12", "1959-03-19",
    ];

    private static readonly string CallerToken = TestTokens.Patient(Caller);

    private GatewayServer _gateway = null!;

    /// <summary>Found in the practice the suite sets up (issue 10 block): an id of Homer's that only his own data would tell.</summary>
    private readonly List<string> _seededLeaks = [];

    public async Task InitializeAsync()
    {
        var settings = TestTokens.GatewaySettings();
        settings["GraphQL:RateLimitPerSecond"] = "0";
        settings["GraphQL:MaxRequestBytes"] = "262144";
        _gateway = await GatewayServer.StartAsync(settings);
        await SeedPatientActorScheduleAsync();
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Every_hostile_request_gets_a_4xx_or_a_coded_GraphQL_error_without_leaks_and_the_server_stays_up()
    {
        var cases = Cases().ToList();
        var failures = new List<string>();
        var fiveHundreds = 0;
        var leaks = 0;
        foreach (var (name, request) in cases)
        {
            using var message = request();
            if (!message.Headers.Contains("Authorization"))
            {
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", CallerToken);
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var response = await _gateway.Client.SendAsync(message);
            var body = await response.Content.ReadAsStringAsync();
            if (clock.Elapsed > TimeSpan.FromSeconds(5))
            {
                failures.Add($"{name}: took {clock.Elapsed.TotalSeconds:F1} s (slow to answer is a denial of service)");
            }
            if ((int)response.StatusCode >= 500)
            {
                fiveHundreds++;
                failures.Add($"{name}: {(int)response.StatusCode}");
            }

            if (Leaks.Concat(_seededLeaks).FirstOrDefault(l => body.Contains(l, StringComparison.Ordinal)) is { } leak)
            {
                leaks++;
                failures.Add($"{name}: leaks '{leak}': {body[..Math.Min(200, body.Length)]}");
            }

            if (!Coded(response.StatusCode, body))
            {
                failures.Add($"{name}: {(int)response.StatusCode} without a coded error: {body[..Math.Min(200, body.Length)]}");
            }
        }

        using var health = await _gateway.Client.GetAsync("/health/live");
        output.WriteLine($"hostile input: {cases.Count} cases, {fiveHundreds} 5xx, {leaks} leaks, {failures.Count} failures; server up: {health.StatusCode == HttpStatusCode.OK}");
        foreach (var failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(cases.Count > 200, $"only {cases.Count} cases");
        Assert.Empty(failures);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task CreateSlots_floods_from_a_practitioner_are_refused_with_a_typed_error_within_5_s_and_write_nothing()
    {
        var store = _gateway.Services.GetRequiredService<Scheduling.Schema.Fhir.InMemory.InMemoryFhirStore>();
        var query = new Scheduling.Schema.Fhir.FhirQuery("Slot").Where("schedule", "Schedule/" + Practitioner + "-schedule");
        var before = (await store.SearchAllAsync(query, CancellationToken.None)).Count;
        foreach (var (name, input) in SlotFloods().Where(f => f.Name.StartsWith("92 days", StringComparison.Ordinal) || f.Name.StartsWith("a year", StringComparison.Ordinal)))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var answer = await _gateway.QueryAsync(CreateSlots, new { input }, PractitionerToken);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{name}: {clock.Elapsed.TotalSeconds:F1} s");
            Assert.Null(answer["errors"]);
            Assert.Null(answer.At("data.createSlots.count"));
            Assert.Equal(("ValidationError", "VALIDATION_FAILED"), (answer.At("data.createSlots.errors.0.__typename")?.GetValue<string>(), answer.At("data.createSlots.errors.0.code")?.GetValue<string>()));
        }

        Assert.Equal(before, (await store.SearchAllAsync(query, CancellationToken.None)).Count);
    }

    /// <summary>A refusal is coded (every error has extensions.code); a success has data and nothing to hide.</summary>
    private static bool Coded(HttpStatusCode status, string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.TryGetProperty("errors", out var errors))
            {
                return errors.EnumerateArray().All(e => e.TryGetProperty("extensions", out var x) && x.TryGetProperty("code", out _));
            }

            return (int)status < 400 && json.RootElement.TryGetProperty("data", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static IEnumerable<(string Name, Func<HttpRequestMessage> Request)> Cases()
    {
        // Malformed requests.
        foreach (var (name, body, type) in new (string, string, string?)[]
        {
            ("not json", "{ not json", "application/json"),
            ("json array", "[]", "application/json"),
            ("json string", "\"query\"", "application/json"),
            ("null body", "null", "application/json"),
            ("query number", "{\"query\":42}", "application/json"),
            ("query object", "{\"query\":{}}", "application/json"),
            ("variables string", "{\"query\":\"{ __typename }\",\"variables\":\"{}\"}", "application/json"),
            ("extensions array", "{\"query\":\"{ __typename }\",\"extensions\":[]}", "application/json"),
            ("truncated unicode", "{\"query\":\"\\ud800\"}", "application/json"),
            ("deep json", new string('[', 5000) + new string(']', 5000), "application/json"),
            ("deep variables", "{\"query\":\"{ __typename }\",\"variables\":{\"a\":" + new string('[', 1000) + new string(']', 1000) + "}}", "application/json"),
            ("text/plain", "{ __typename }", "text/plain"),
            ("xml", "<query/>", "application/xml"),
            ("form", "query=%7B__typename%7D", "application/x-www-form-urlencoded"),
            ("latin1", "{\"query\":\"{ __typename }\"}", "application/json; charset=iso-8859-1"),
            ("no content type", "{\"query\":\"{ __typename }\"}", null),
            ("huge body", "{\"query\":\"{ __typename }\",\"variables\":{\"x\":\"" + new string('x', 300_000) + "\"}}", "application/json"),
        })
        {
            yield return (name, () => Post(body, type));
        }

        // Query bombs.
        yield return ("deep query", () => Graph(Nest(300)));
        yield return ("deep selection", () => Graph("{ schedule(id: \"alice-smith-schedule\") " + string.Concat(Enumerable.Repeat("{ slots { nodes { schedule ", 20)) + "{ id }" + new string('}', 20 * 4) + " }"));
        yield return ("alias bomb", () => Graph("{ " + string.Join(' ', Enumerable.Range(0, 2000).Select(i => $"a{i}: slots(first: 1000) {{ nodes {{ id }} }}")) + " }"));
        yield return ("fragment bomb", () => Graph(FragmentBomb(25)));
        yield return ("fragment cycle", () => Graph("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"));
        yield return ("many operations", () => Graph(string.Concat(Enumerable.Range(0, 3000).Select(i => $"query Q{i} {{ __typename }} "))));
        yield return ("huge string literal", () => Graph("{ practitioners(name: \"" + new string('z', 200_000) + "\") { nodes { id } } }"));
        yield return ("mutation over GET", () => new HttpRequestMessage(HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString("mutation { __typename }")));

        // Invalid values where types are checked.
        foreach (var date in new[] { "2024-13-45T99:00:00Z", "yesterday", "2024-06-03T11:00:00", "", new string('9', 10_000), "0000-00-00T00:00:00+25:00" })
        {
            yield return ("date " + Short(date), () => Graph("query($d: DateTime!) { slots(where: { start: { gte: $d } }) { totalCount } }", new { d = date }));
        }

        foreach (var first in new object[] { -1, 1_000_001, int.MaxValue, "ten", 1.5 })
        {
            yield return ("first " + first, () => Graph("query($n: Int) { slots(first: $n) { totalCount } }", new { n = first }));
        }

        // Tokens: none, forged, expired, malformed, or in the wrong place.
        foreach (var (name, authorization) in new (string, string)[]
        {
            ("no token", ""),
            ("forged token", "Bearer " + TestTokens.Issue("a-forged-key-that-is-at-least-32-bytes", DateTime.UtcNow.AddMinutes(5), ("role", "admin"))),
            ("expired admin token", "Bearer " + TestTokens.Issue(TestTokens.SigningKey, DateTime.UtcNow.AddMinutes(-30), ("role", "admin"))),
            ("alg none token", "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJyb2xlIjoiYWRtaW4ifQ."),
            ("basic auth", "Basic YWRtaW46YWRtaW4="),
            ("huge token", "Bearer " + new string('a', 20_000)),
        })
        {
            yield return (name, () =>
            {
                var message = Graph("{ patients(first: 100) { nodes { id name { family } } } }");
                message.Headers.TryAddWithoutValidation("Authorization", authorization.Length == 0 ? "Bearer" : authorization);
                return message;
            });
        }

        // One patient reaching for others: by id, by search, through schedules, slots and practitioners, by aliases, by mutation.
        string[] crossPatient =
        [
            "{ appointment(id: \"homer-fall-assessment\") { description patient { name { family } birthDate } } }",
            "{ patient(id: \"homer-simpson\") { name { family } birthDate telecom { value } } }",
            "{ patient(id: \"no-such-patient\") { id } }",
            "{ patients(identifier: \"http://example.org/fhir/mrn|MRN-HOMER-SIMPSON\") { totalCount nodes { id name { family } } } }",
            "{ patients(name: \"Simpson\", first: 1000) { totalCount nodes { id name { family } } } }",
            "{ appointments(where: { patientId: \"homer-simpson\" }, first: 1000) { totalCount nodes { id patient { name { family } } } } }",
            "{ appointments(first: 1000) { totalCount nodes { participants { actor { ... on Patient { name { family } } } } } } }",
            "{ practitioner(id: \"alice-smith\") { appointments(first: 1000) { totalCount nodes { patient { name { family } } } } } }",
            "{ schedule(id: \"alice-smith-schedule\") { slots(first: 1000) { nodes { appointments { totalCount nodes { patient { name { family } } } } } } } }",
            "{ slots(first: 1000) { nodes { appointments { nodes { responses { nodes { actor { ... on Patient { name { family } } } } } } } } } }",
            "{ " + string.Join(' ', new[] { "homer-simpson", "marge-simpson", "bart-simpson", "lisa-simpson" }.Select((id, i) => $"p{i}: patient(id: \"{id}\") {{ name {{ family }} }}")) + " }",
            "mutation { cancelAppointment(input: { appointmentId: \"homer-fall-assessment\", reason: \"mine now\" }) { appointment { status } } }",
            "mutation { confirmAppointment(input: { appointmentId: \"homer-fall-assessment\" }) { appointment { status } } }",
            "mutation { changeAppointmentStatus(input: { appointmentId: \"homer-fall-assessment\", status: NOSHOW }) { appointment { status } } }",
            "mutation { rescheduleAppointment(input: { appointmentId: \"homer-fall-assessment\", slotIds: [\"x\"] }) { appointment { status } } }",
            "mutation { respondToAppointment(input: { appointmentId: \"homer-fall-assessment\", actorId: \"Patient/homer-simpson\", participantStatus: DECLINED }) { appointment { status } } }",
            "mutation { bookAppointment(input: { slotIds: [\"x\"], patientId: \"homer-simpson\" }) { appointment { patient { name { family } } } } }",
            "mutation { holdSlots(input: { slotIds: [\"x\"], patientId: \"marge-simpson\" }) { appointment { patient { name { family } } } } }",
            "mutation { createSchedule(input: { actorIds: [\"Patient/homer-simpson\"] }) { schedule { id } } }",
            "mutation { deleteSlots(input: { slotIds: [\"x\"] }) { deletedSlotIds } }",
        ];
        foreach (var query in crossPatient)
        {
            yield return ("cross-patient " + query[..Math.Min(70, query.Length)], () => Graph(query));
        }

        // FHIR search injection in every string argument.
        string[] templates =
        [
            "query($v: ID!) { schedule(id: $v) { id } }",
            "query($v: ID!) { appointment(id: $v) { id } }",
            "query($v: String) { practitioners(name: $v) { nodes { id } } }",
            "query($v: String) { patients(name: $v, identifier: $v) { nodes { id } } }",
            "query($v: ID) { schedules(actor: $v) { nodes { id } } }",
            "query($v: String) { schedules(serviceType: $v) { nodes { id } } }",
            "query($v: ID!) { slots(where: { scheduleIds: [$v] }) { nodes { id } } }",
            "query($v: String) { slots(where: { serviceType: $v }) { nodes { id } } }",
            "query($v: ID) { appointments(where: { patientId: $v, practitionerId: $v }) { nodes { id } } }",
            "query($v: ID) { appointments(where: { actor: $v }) { nodes { id } } }",
            "query($v: String) { slots(after: $v) { nodes { id } } }",
            "query($v: ID!) { availability(input: { practitionerIds: [$v], locationId: $v }) { nodes { start } } }",
            "query($v: String) { availability(input: { serviceType: $v }) { nodes { start } } }",
            "query($v: ID!) { practitioner(id: \"alice-smith\") { appointments(where: { patientId: $v }) { nodes { id } } } }",
            "mutation($v: ID!) { cancelAppointment(input: { appointmentId: $v, reason: $v }) { errors { __typename } } }",
            "mutation($v: ID!) { bookAppointment(input: { slotIds: [$v], patientId: $v }) { errors { __typename } } }",
        ];
        foreach (var template in templates)
        {
            foreach (var value in Injections)
            {
                yield return ($"{template[..Math.Min(60, template.Length)]} <- {Short(value)}", () => Graph(template, new { v = value }));
            }
        }

        // ---- Issue 10, sockets: cross-site WebSocket hijacking. A browser upgrade from another origin is refused
        // (403 ORIGIN_NOT_ALLOWED) before any WebSocket exists; "null" and look-alike origins too.
        foreach (var origin in new[] { "https://evil.example.net", "null", "http://127.0.0.1.evil.example.net", "file://", "https://127.0.0.1:1" })
        {
            yield return ($"websocket upgrade from origin {origin}", () => Upgrade(origin));
        }

        // --- Issue 10 (pipeline): directive overload and lone UTF-16 surrogates in variables and extensions. ---
        yield return ("directive overload on one field", () => Graph("{ __typename" + string.Concat(Enumerable.Repeat(" @skip(if:false)", 15_000)) + " }"));
        yield return ("directive overload over fields", () => Graph("{ " + string.Concat(Enumerable.Range(0, 5_000).Select(i => $"a{i}: __typename @include(if: true) ")) + "}"));
        yield return ("directive bomb through fragments", () => Graph("query { ...F0 } " +
            string.Concat(Enumerable.Range(0, 20).Select(i => $"fragment F{i} on Query {{ ...F{i + 1} @include(if: true) ...F{i + 1} @skip(if: false) }} ")) + "fragment F20 on Query { __typename }"));
        yield return ("unknown directives", () => Graph("{ __typename" + string.Concat(Enumerable.Range(0, 5_000).Select(i => $" @d{i}")) + " }"));
        // Validation bombs outside the selected operation, and one response name repeated (the merge rule is quadratic).
        var directives = "__typename" + string.Concat(Enumerable.Repeat(" @skip(if:false)", 15_000));
        yield return ("directive bomb in an operation not selected", () => Post(JsonSerializer.Serialize(new { query = "query A { __typename } query B { " + directives + " }", operationName = "A" }), "application/json"));
        yield return ("directive bomb in an unused fragment", () => Graph("{ __typename } fragment Unused on Query { " + directives + " }"));
        yield return ("one alias repeated under MaxFields", () => Graph("{ " + string.Concat(Enumerable.Repeat("a:__typename ", 15_000)) + "}"));
        yield return ("one fragment spread repeated", () => Graph("{ " + string.Concat(Enumerable.Repeat("...F ", 15_000)) + "} fragment F on Query { __typename }"));
        yield return ("errors everywhere", () => Graph("{ " + string.Concat(Enumerable.Range(0, 10_000).Select(i => $"f{i} ")) + "}"));
        foreach (var (name, body) in new (string, string)[]
        {
            ("surrogate in a variable", """{"query":"query($v: String) { practitioners(name: $v) { nodes { id } } }","variables":{"v":"\ud800"}}"""),
            ("surrogate in a variable name", """{"query":"{ __typename }","variables":{"\udc00":1}}"""),
            ("surrogate deep in variables", """{"query":"{ __typename }","variables":{"a":[{"b":["\udbff"]}]}}"""),
            ("surrogate in extensions", """{"query":"{ __typename }","extensions":{"persistedQuery":{"sha256Hash":"\ud800"}}}"""),
            ("surrogate in operationName", """{"query":"{ __typename }","operationName":"\ud800"}"""),
            ("surrogate in documentId", """{"documentId":"sha256:\ud800"}"""),
        })
        {
            yield return (name, () => Post(body, "application/json"));
        }

        yield return ("surrogate in GET variables", () => Get("{ __typename }", "variables", "{\"v\":\"\\ud800\"}"));
        yield return ("surrogate in GET extensions", () => Get("{ __typename }", "extensions", "{\"v\":\"\\ud800\"}"));
        // --- end of issue 10 (pipeline) block ---
        // ---- Issue 10, authorization (findings 1, 7, 9, 10): Homer is an actor of one of Dr. Smith's schedules
        // (SeedPatientActorScheduleAsync) and has booked with clientMutationId "hostile-homer-key".
        var roleLess = TestTokens.Issue(("scope", "openid"));
        string[] issue10 =
        [
            "{ schedules(first: 1000) { totalCount nodes { actors { __typename ... on Patient { id name { family } birthDate telecom { value } } } } } }",
            "{ schedules(actor: \"Practitioner/alice-smith\", first: 1000) { nodes { actors { ... on Patient { name { family } birthDate } } } } }",
            "{ schedules(actor: \"Patient/homer-simpson\") { totalCount nodes { id actors { ... on Patient { name { family } } } } } }",
            "{ schedules(actor: \"Patient/no-such-patient\") { totalCount nodes { id } } }",
            "{ availability(input: { practitionerIds: [\"alice-smith\"] }, first: 200) { nodes { actors { ... on Patient { name { family } birthDate } } schedule { actors { ... on Patient { name { family } } } } } } }",
            "{ practitioner(id: \"alice-smith\") { schedules(first: 100) { edges { node { actors { ... on Patient { name { family } telecom { value } } } } } } } }",
            "{ patients(identifier: \"http://example.org/fhir/mrn|MRN-HOMER-SIMPSON\", first: 0) { totalCount pageInfo { hasNextPage endCursor } } }",
            "{ patients(name: \"Simpson\", first: 1) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }",
            "mutation { bookAppointment(input: { slotIds: [\"x\"], patientId: \"homer-simpson\", clientMutationId: \"hostile-homer-key\" }) { appointment { id description patient { name { family } } } errors { __typename ... on Error { message } } } }",
        ];
        foreach (var query in issue10)
        {
            yield return ("issue 10 as a patient " + query[..Math.Min(60, query.Length)], () => Graph(query));
            yield return ("issue 10 role-less " + query[..Math.Min(60, query.Length)], () => WithToken(Graph(query), roleLess));
        }

        foreach (var role in new[] { "patient,practitioner", "4", "Admin,", "scheduler;admin", "ADMIN\u0000", "\u017Fcheduler", "adm\u0131n", "ADM\u0130N" })
        {
            var token = TestTokens.Issue(("role", role), ("patient", Caller));
            yield return ($"issue 10 role '{role}'", () => WithToken(Graph("{ patients(first: 100) { nodes { name { family } birthDate } } appointments(first: 100) { nodes { patient { name { family } } } } }"), token));
        }

        yield return ("issue 10 fhirUser on another host", () => WithToken(
            Graph("{ patient(id: \"homer-simpson\") { name { family } } appointments(first: 100) { nodes { patient { name { family } } } } }"),
            TestTokens.Issue(("fhirUser", "https://evil.example/fhir/Practitioner/alice-smith"))));
        // ---- end of issue 10, authorization

        // ---- Issue 10, finding 6: createSlots amplification (one call, tens of thousands of writes or a quadratic check).
        foreach (var (name, input) in SlotFloods())
        {
            yield return ("createSlots as a practitioner: " + name, () => AsPractitioner(Graph(CreateSlots, new { input })));
            yield return ("createSlots as a patient: " + name, () => Graph(CreateSlots, new { input }));
        }
        // ---- end of issue 10, createSlots
    }

    private static HttpRequestMessage Upgrade(string origin)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, "/graphql");
        message.Headers.Connection.Add("Upgrade");
        message.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
        message.Headers.Add("Sec-WebSocket-Version", "13");
        message.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        message.Headers.Add("Sec-WebSocket-Protocol", "graphql-transport-ws");
        message.Headers.Add("Origin", origin);
        return message;
    }

    /// <summary>A Patient actor on one of Dr. Smith's schedules (with availability), and a booking of Homer's with an idempotency key.</summary>
    private async Task SeedPatientActorScheduleAsync()
    {
        var admin = TestTokens.Admin();
        var created = await _gateway.QueryAsync("mutation { createSchedule(input: { actorIds: [\"Patient/homer-simpson\", \"Practitioner/alice-smith\"], comment: \"Home visits\" }) { schedule { id } } }", bearerToken: admin);
        var scheduleId = created.At("data.createSchedule.schedule.id")?.GetValue<string>() ?? throw new InvalidOperationException(created.ToJsonString());
        await _gateway.QueryAsync("""
            mutation($s: ID!) { setAvailability(input: { scheduleId: $s, timeZone: "UTC", slotMinutes: 30,
              availableTimes: [{ daysOfWeek: [MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY], startTime: "09:00", endTime: "12:00" }] }) { schedule { id } } }
            """, new { s = scheduleId }, admin);
        var free = await _gateway.QueryAsync("query($s: ID!) { availability(input: { scheduleIds: [$s] }, first: 1) { nodes { slotIds } } }", new { s = scheduleId }, admin);
        var slot = free.At("data.availability.nodes.0.slotIds.0")?.GetValue<string>() ?? throw new InvalidOperationException(free.ToJsonString());
        var booked = await _gateway.QueryAsync("""
            mutation($slot: ID!) { bookAppointment(input: { slotIds: [$slot], patientId: "homer-simpson", clientMutationId: "hostile-homer-key" }) { appointment { id } } }
            """, new { slot }, admin);
        _seededLeaks.Add(booked.At("data.bookAppointment.appointment.id")?.GetValue<string>() ?? throw new InvalidOperationException(booked.ToJsonString()));
    }

    private static HttpRequestMessage WithToken(HttpRequestMessage message, string token)
    {
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return message;
    }

    private const string CreateSlots = "mutation($input: CreateSlotsInput!) { createSlots(input: $input) { count skipped errors { __typename ... on Error { code message } } } }";

    private const string Practitioner = "alice-smith";

    private static readonly string PractitionerToken = TestTokens.Practitioner(Practitioner);

    /// <summary>createSlots inputs that would write tens of thousands of slots, span years, or ask for absurd slot lengths.</summary>
    private static IEnumerable<(string Name, object Input)> SlotFloods()
    {
        string[] everyDay = ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"];
        var first = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(200);
        string Day(int offset) => first.AddDays(offset).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        object Input(string from, string to, int minutes, string schedule = Practitioner + "-schedule", string[]? days = null, string end = "23:59") =>
            new { scheduleId = schedule, from, to, daysOfWeek = days ?? everyDay, startTime = "00:00", endTime = end, slotMinutes = minutes };

        yield return ("92 days of 5-minute slots (26,404)", Input(Day(0), Day(91), 5));
        yield return ("92 days of 5-minute slots, again", Input(Day(0), Day(91), 5));
        yield return ("92 days of 5-minute slots on another's schedule", Input(Day(0), Day(91), 5, "robert-jones-schedule"));
        yield return ("92 days of 5-minute slots on no schedule", Input(Day(0), Day(91), 5, "no-such-schedule"));
        yield return ("a year of 5-minute slots", Input(Day(0), Day(365), 5));
        yield return ("year 1 to 9999", Input("0001-01-01", "9999-12-31", 5));
        yield return ("to before from", Input(Day(10), Day(0), 60));
        yield return ("1-minute slots", Input(Day(0), Day(0), 1));
        yield return ("int.MaxValue-minute slots", Input(Day(0), Day(0), int.MaxValue));
        yield return ("negative slots", Input(Day(0), Day(0), -5));
        yield return ("10,000 days of week", Input(Day(0), Day(91), 5, days: [.. Enumerable.Repeat("MONDAY", 10_000)]));
        yield return ("end 23:59:59", Input(Day(0), Day(91), 5, end: "23:59:59"));
    }

    private static HttpRequestMessage AsPractitioner(HttpRequestMessage message)
    {
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", PractitionerToken);
        return message;
    }

    private static HttpRequestMessage Graph(string query, object? variables = null) =>
        Post(JsonSerializer.Serialize(new { query, variables }), "application/json");

    private static HttpRequestMessage Get(string query, string parameter, string json)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, $"/graphql?query={Uri.EscapeDataString(query)}&{parameter}={Uri.EscapeDataString(json)}");
        message.Headers.Accept.ParseAdd("application/graphql-response+json");
        return message;
    }

    private static HttpRequestMessage Post(string body, string? contentType)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        if (contentType is not null)
        {
            message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        message.Headers.Accept.ParseAdd("application/graphql-response+json");
        return message;
    }

    private static string Nest(int depth) => new string('{', depth) + new string('}', depth);

    private static string FragmentBomb(int levels)
    {
        var sb = new StringBuilder("query { ...F0 } ");
        for (var i = 0; i < levels; i++)
        {
            sb.Append($"fragment F{i} on Query {{ ...F{i + 1} a{i}: __typename ...F{i + 1} }} ");
        }

        sb.Append($"fragment F{levels} on Query {{ __typename }}");
        return sb.ToString();
    }

    private static string Short(string text) => text.Length <= 24 ? text : text[..24] + "…";
}
