using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Fhir;
using Scheduling.Schema.Planning;
using Scheduling.Tests.Queries;

namespace Scheduling.Tests.Planning;

/// <summary>
/// The query planner's compilation of a selection into FHIR includes (pure), and its one table of navigations
/// checked against the served schema and FHIR's search parameters.
/// </summary>
public sealed class IncludePlannerTests(EmbeddedGatewayFixture fixture) : IClassFixture<EmbeddedGatewayFixture>
{
    /// <summary><c>slots { totalCount nodes { id appointments { nodes { id patient { id } practitioners { id } } } } }</c></summary>
    private static SelectedField WeekView(bool filteredAppointments = false) =>
        new("Schedule", "slots",
            new SelectedField("SlotConnection", "totalCount"),
            new SelectedField("SlotConnection", "nodes",
                new SelectedField("Slot", "id"),
                new SelectedField("Slot", "appointments", filteredAppointments, [
                    new SelectedField("AppointmentConnection", "nodes",
                        new SelectedField("Appointment", "id"),
                        new SelectedField("Appointment", "patient", new SelectedField("Patient", "id")),
                        new SelectedField("Appointment", "practitioners", new SelectedField("Practitioner", "id"))),
                ])));

    /// <summary>
    /// <c>Appointment.patient</c> answers the first patient, <c>Appointment:patient</c> would bring every patient of a
    /// group appointment: the patients are left to the DataLoaders (<see cref="NavigationAnswersTests"/> walks the rule).
    /// </summary>
    [Fact]
    public void A_week_view_compiles_to_one_search_with_the_slots_their_appointments_and_practitioners_but_not_the_first_patient()
    {
        var plan = IncludePlanner.Plan("Schedule", [WeekView()], _ => true, _ => true);

        Assert.Equal(
            ["_revinclude=Slot:schedule", "_revinclude:iterate=Appointment:slot", "_include:iterate=Appointment:practitioner:Practitioner"],
            plan.Includes.Select(i => i.ToString()));
        var slots = Assert.Single(plan.Steps);
        var appointments = Assert.Single(slots.Children);
        Assert.Equal(["Practitioner"], appointments.Children.Select(s => s.Navigation.ItemType));
    }

    [Fact]
    public void A_filtered_nested_list_and_everything_below_it_is_left_to_the_DataLoaders()
    {
        var plan = IncludePlanner.Plan("Schedule", [WeekView(filteredAppointments: true)], _ => true, _ => true);

        Assert.Equal(["_revinclude=Slot:schedule"], plan.Includes.Select(i => i.ToString()));
        Assert.Empty(Assert.Single(plan.Steps).Children);
    }

    [Fact]
    public void A_list_the_callers_access_narrows_is_never_reverse_included_but_what_its_own_items_reference_is()
    {
        // A patient's upcoming appointments with slots, practitioners, and each slot's appointments.
        var selection = new SelectedField("AppointmentConnection", "nodes",
            new SelectedField("Appointment", "slots", new SelectedField("Slot", "appointments", new SelectedField("AppointmentConnection", "totalCount"))),
            new SelectedField("Appointment", "practitioners", new SelectedField("Practitioner", "id")));

        var plan = IncludePlanner.Plan("Appointment", [selection], _ => true, navigation => navigation.Source != "Appointment");

        Assert.Equal(["_include=Appointment:slot:Slot", "_include=Appointment:practitioner:Practitioner"], plan.Includes.Select(i => i.ToString()));
        Assert.All(plan.Steps, s => Assert.Empty(s.Children));
    }

    [Fact]
    public void An_include_the_server_does_not_support_stops_the_plan_there()
    {
        var plan = IncludePlanner.Plan("Schedule", [WeekView()], navigation => navigation.Source != "Appointment" || !navigation.Reverse, _ => true);

        Assert.Equal(["_revinclude=Slot:schedule"], plan.Includes.Select(i => i.ToString()));
        Assert.True(IncludePlanner.Plan("Schedule", [WeekView()], _ => false, _ => true).IsEmpty);
    }

    [Fact]
    public void A_field_of_another_resource_than_the_one_in_hand_is_not_planned_from_it() =>
        Assert.True(IncludePlanner.Plan("Slot", [new SelectedField("Appointment", "patient", new SelectedField("Patient", "id"))], _ => true, _ => true).IsEmpty);

    /// <summary>
    /// The class of mistake a hand-written table invites: every entry must name a field the schema serves on that
    /// type, whose items are the navigation's item type, over a FHIR reference parameter of the source type that
    /// can point at the target (so the include a plan sends is the search its resolver would make).
    /// </summary>
    [Fact]
    public void Every_navigation_is_a_served_field_over_a_reference_parameter_that_reaches_its_item_type()
    {
        var schema = fixture.Gateway.Services.GetRequiredService<ISchema>();
        Assert.NotEmpty(Navigations.All);
        foreach (var ((type, field), navigation) in Navigations.All)
        {
            var owner = Assert.IsAssignableFrom<IComplexGraphType>(schema.AllTypes[type]);
            var definition = owner.GetField(field);
            Assert.True(definition is not null, $"{type}.{field} is not in the schema");
            Assert.Equal(navigation.OwnerType, type);
            Assert.Contains(navigation.ItemType, ItemTypeNames(definition!.ResolvedType!));

            var parameter = SearchParameterIndex.Find(navigation.Source, navigation.Parameter);
            Assert.True(parameter is { Type: Hl7.Fhir.Model.SearchParamType.Reference }, $"{navigation.Source}:{navigation.Parameter} is not a reference parameter");
            Assert.True(parameter!.Target is null || parameter.Target.Length == 0 ||
                        parameter.Target.Any(t => t.ToString() == navigation.Target), $"{navigation.Source}:{navigation.Parameter} cannot point at {navigation.Target}");
        }
    }

    /// <summary>The object types a field's value holds: itself, or a connection's node type.</summary>
    private static IEnumerable<string> ItemTypeNames(IGraphType type)
    {
        var named = type.GetNamedType();
        yield return named.Name;
        if (named is IComplexGraphType complex && complex.GetField("nodes") is { } nodes)
        {
            yield return nodes.ResolvedType!.GetNamedType().Name;
        }
    }
}
