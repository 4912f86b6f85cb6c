using Hl7.Fhir.Model;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema.Authorization;

/// <summary>Whether each patient has an appointment with one practitioner: one Appointment search per batch of patients.</summary>
internal sealed class PatientsOfPractitionerDataLoader(DataLoaderOptions options, IFhirStore store, FhirReference practitioner)
    : BatchDataLoader<string, bool>(options)
{
    private const int PatientsPerSearch = 50;

    protected override async Task<IReadOnlyDictionary<string, bool>> FetchAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var seen = new Dictionary<string, bool>();
        foreach (var chunk in keys.Chunk(PatientsPerSearch))
        {
            var query = FhirQuery.For<Appointment>()
                .Where("practitioner", practitioner.ToString())
                .WhereAny("patient", chunk.Select(id => "Patient/" + id));
            foreach (var appointment in await store.SearchAllAsync<Appointment>(query, cancellationToken))
            {
                // Checked here too: a server that ignored a search parameter must not widen what is shown.
                if (!appointment.Participant.Any(p => FhirReference.From(p.Actor) == practitioner))
                {
                    continue;
                }

                foreach (var patient in appointment.Participant.Select(p => FhirReference.From(p.Actor)).OfType<FhirReference>().Where(r => r.ResourceType == "Patient"))
                {
                    seen[patient.Id] = true;
                }
            }
        }

        return seen;
    }
}
