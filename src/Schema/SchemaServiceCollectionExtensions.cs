using GraphQL;
using GraphQL.Execution;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Appointments;
using Scheduling.Schema.Common;
using Scheduling.Schema.Schedules;
using Scheduling.Schema.DataLoading;
using Scheduling.Schema.Fhir;

namespace Scheduling.Schema;

public static class SchemaServiceCollectionExtensions
{
    /// <summary>The GraphQL schema, its request-scoped DataLoaders and FHIR access: everything but transport.</summary>
    public static IServiceCollection AddSchedulingSchema(this IServiceCollection services)
    {
        services.AddFhirAccess();
        services.AddOptions<DataLoaderOptions>().BindConfiguration(DataLoaderOptions.SectionName);
        services.AddScoped<ResourceByIdDataLoader>();
        services.AddScoped<ReferencingResourcesDataLoader>();

        services.AddOptions<BookingOptions>()
            .BindConfiguration(BookingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IBookingRule, MinimumLeadTimeRule>();
        services.AddSingleton<IBookingRule, MaximumDaysAheadRule>();
        services.AddSingleton<IBookingRule, MaxOpenBookingsRule>();
        services.AddScoped<BookingRules>();
        services.AddScoped<AppointmentBooking>();
        services.AddScoped<AvailabilitySearch>();
        services.AddScoped<ScheduleManagement>();
        services.AddHostedService<HoldExpirySweeper>();

        // Generic graph types are closed per node type; the container builds them on demand.
        services.AddTransient(typeof(ConnectionGraphType<,>));
        services.AddTransient(typeof(EdgeGraphType<,>));

        services.AddGraphQL(graphQL => graphQL
            .AddSchema<SchedulingSchema>()
            .AddGraphTypes(typeof(SchedulingSchema).Assembly)
            .AddSystemTextJson()
            .AddErrorInfoProvider(options =>
            {
                // One stable code per error; the chain of inner exception types is an implementation detail.
                options.ExposeExceptionDetails = false;
                options.ExposeCodes = false;
            })
            .AddUnhandledExceptionHandler(context =>
            {
                // Our FHIR exceptions carry messages written for clients; anything else stays generic.
                if (context.OriginalException is FhirException fhir)
                {
                    context.ErrorMessage = fhir.Message;
                }
            }));
        return services;
    }
}
