using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Scheduling.Testing;

namespace Scheduling.Tests.Model;

/// <summary>One client's step. Indexes pick among the world's slots, rule options and the appointments and blocks made so far.</summary>
public abstract record Op
{
    public sealed record Book(int Slot, int Count, bool Hold) : Op;

    /// <summary>A rule option of the rule schedule: start at Quarter × 15 min after 14:00 UTC, Minutes long.</summary>
    public sealed record BookRule(int Quarter, int Minutes, bool Hold) : Op;

    /// <summary>Books a real slot naming a practitioner who is not an actor of its schedule.</summary>
    public sealed record BookWithStranger(int Slot) : Op;

    public sealed record Confirm(int Appointment) : Op;

    public sealed record Cancel(int Appointment) : Op;

    /// <summary>Onto real slots of the slot schedule (Rule = false) or onto a rule option.</summary>
    public sealed record Reschedule(int Appointment, int Target, bool Rule) : Op;

    public sealed record Respond(int Appointment, bool Accept) : Op;

    public sealed record Status(int Appointment, string To) : Op;

    /// <summary>Moves the gateways' shared clock on, past holds' expiry.</summary>
    public sealed record AdvanceClock(int Minutes) : Op;

    public sealed record Block(int Slot, int Count) : Op;

    public sealed record Unblock(int Index) : Op;

    /// <summary>createSlots over the slot schedule's day with another slot length (fills gaps only).</summary>
    public sealed record CreateSlots(int Minutes) : Op;

    public sealed record DeleteSlot(int Slot) : Op;
}

/// <summary>What a client was told.</summary>
public sealed record Told(Op Op, string? AppointmentId, string? ErrorCode, string? TopLevelError, string? BlockId = null)
{
    public bool Succeeded => ErrorCode is null && TopLevelError is null;
}

/// <summary>Runs operations over GraphQL against a <see cref="ModelWorld"/>; what each was told is kept for the checks.</summary>
public sealed class OperationRunner(ModelWorld world, ShiftedTimeProvider clock)
{
    private readonly List<string> _appointments = [];
    private readonly List<string> _blocks = [];
    private readonly Lock _gate = new();

    public List<string> Appointments
    {
        get
        {
            lock (_gate)
            {
                return [.. _appointments];
            }
        }
    }

    public List<string> CreatedSlots { get; } = [];

    public async Task<Told> RunAsync(GatewayServer gateway, Op op, int patient)
    {
        var patientId = world.Patients[patient % world.Patients.Count].Id!;
        return op switch
        {
            Op.Book b => await TakeAsync(gateway, op, world.SlotRun(b.Slot, b.Count), patientId, b.Hold, null),
            Op.BookRule r => await TakeAsync(gateway, op, [world.RuleOption(r.Quarter, r.Minutes)], patientId, r.Hold, null),
            Op.BookWithStranger s => await TakeAsync(gateway, op, world.SlotRun(s.Slot, 1), patientId, false, world.Stranger.Id),
            Op.Confirm c => await AppointmentAsync(gateway, op, c.Appointment, "confirmAppointment", "ConfirmAppointmentInput", id => new { appointmentId = id }),
            Op.Cancel c => await AppointmentAsync(gateway, op, c.Appointment, "cancelAppointment", "CancelAppointmentInput", id => new { appointmentId = id, reason = "model" }),
            Op.Reschedule r => await AppointmentAsync(gateway, op, r.Appointment, "rescheduleAppointment", "RescheduleAppointmentInput",
                id => new { appointmentId = id, slotIds = r.Rule ? new[] { world.RuleOption(r.Target % 12, 30) } : world.SlotRun(r.Target, 1) }),
            Op.Respond r => await AppointmentAsync(gateway, op, r.Appointment, "respondToAppointment", "RespondToAppointmentInput",
                id => new { appointmentId = id, actorId = "Practitioner/" + world.Practitioner.Id, participantStatus = r.Accept ? "ACCEPTED" : "DECLINED" }),
            Op.Status s => await AppointmentAsync(gateway, op, s.Appointment, "changeAppointmentStatus", "ChangeAppointmentStatusInput", id => new { appointmentId = id, status = s.To }),
            Op.AdvanceClock a => Advance(op, a.Minutes),
            Op.Block b => await BlockAsync(gateway, op, b),
            Op.Unblock u => await UnblockAsync(gateway, op, u),
            Op.CreateSlots c => await CreateSlotsAsync(gateway, op, c.Minutes),
            Op.DeleteSlot d => await MutateAsync(gateway, op, "deleteSlots", "DeleteSlotsInput", new { slotIds = world.SlotRun(d.Slot, 1) }, "deletedSlotIds"),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
    }

    private Told Advance(Op op, int minutes)
    {
        clock.Offset += TimeSpan.FromMinutes(minutes);
        return new Told(op, null, null, null);
    }

    private async Task<Told> TakeAsync(GatewayServer gateway, Op op, string[] slotIds, string patientId, bool hold, string? practitionerId)
    {
        var told = hold
            ? await MutateAsync(gateway, op, "holdSlots", "HoldSlotsInput", new { slotIds, patientId, holdMinutes = 5 }, "appointment { id }")
            : await MutateAsync(gateway, op, "bookAppointment", "BookAppointmentInput", new { slotIds, patientId, practitionerId }, "appointment { id }");
        if (told.AppointmentId is { } id)
        {
            lock (_gate)
            {
                _appointments.Add(id);
            }
        }

        return told;
    }

    private async Task<Told> AppointmentAsync(GatewayServer gateway, Op op, int index, string mutation, string inputType, Func<string, object> input)
    {
        string? id;
        lock (_gate)
        {
            id = _appointments.Count == 0 ? null : _appointments[index % _appointments.Count];
        }

        return id is null ? new Told(op, null, "NO_APPOINTMENT_YET", null) : await MutateAsync(gateway, op, mutation, inputType, input(id), "appointment { id }");
    }

    private async Task<Told> BlockAsync(GatewayServer gateway, Op op, Op.Block block)
    {
        var (start, end) = world.SlotSpan(block.Slot, block.Count);
        var told = await MutateAsync(gateway, op, "blockTime", "BlockTimeInput",
            new { scheduleId = world.SlotSchedule.Id, start = Iso(start), end = Iso(end) }, "slot { id }");
        if (told.Succeeded && told.BlockId is { } id)
        {
            lock (_gate)
            {
                _blocks.Add(id);
            }
        }

        return told;
    }

    private async Task<Told> UnblockAsync(GatewayServer gateway, Op op, Op.Unblock unblock)
    {
        string? id;
        lock (_gate)
        {
            id = _blocks.Count == 0 ? null : _blocks[unblock.Index % _blocks.Count];
        }

        return id is null ? new Told(op, null, "NO_BLOCK_YET", null)
            : await MutateAsync(gateway, op, "unblockTime", "UnblockTimeInput", new { slotId = id }, "freedSlotIds");
    }

    private async Task<Told> CreateSlotsAsync(GatewayServer gateway, Op op, int minutes)
    {
        var day = world.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var told = await MutateAsync(gateway, op, "createSlots", "CreateSlotsInput", new
        {
            scheduleId = world.SlotSchedule.Id,
            from = day,
            to = day,
            daysOfWeek = new[] { world.Day.DayOfWeek.ToString().ToUpperInvariant() },
            startTime = "13:00",
            endTime = "19:00",
            slotMinutes = minutes,
            timeZone = "UTC",
        }, "count slots { id }");
        return told;
    }

    private async Task<Told> MutateAsync(GatewayServer gateway, Op op, string mutation, string inputType, object input, string selection)
    {
        var query = $"mutation($input: {inputType}!) {{ {mutation}(input: $input) {{ {selection} errors {{ ... on Error {{ code }} }} }} }}";
        var response = await gateway.QueryAsync(query, new { input });
        if (response["errors"] is JsonArray { Count: > 0 } errors)
        {
            return new Told(op, null, null, errors.ToJsonString());
        }

        var payload = response.At("data." + mutation);
        var code = payload.At("errors.0.code")?.GetValue<string>();
        var appointmentId = code is null ? payload.At("appointment.id")?.GetValue<string>() : null;
        if (code is null && payload.At("slots") is JsonArray created)
        {
            lock (_gate)
            {
                CreatedSlots.AddRange(created.Select(s => s!["id"]!.GetValue<string>()));
            }
        }

        return new Told(op, appointmentId, code, null, payload.At("slot.id")?.GetValue<string>());
    }

    private static string Iso(DateTimeOffset time) => time.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture);

    /// <summary>The id availability gives a rule option: schedule, start and end, base64url (the gateway's documented format).</summary>
    public static string RuleOptionId(string scheduleId, DateTimeOffset start, DateTimeOffset end) =>
        "avail:" + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{scheduleId}|{start:O}|{end:O}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
