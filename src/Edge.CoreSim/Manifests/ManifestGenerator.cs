using System.Globalization;
using Core.V1;

namespace Edge.CoreSim.Manifests;

/// <summary>
/// Makes plausible route manifests from a seed: the same seed, route and version always give the same manifest.
/// </summary>
internal static class ManifestGenerator
{
    private static readonly string[] Streets =
    [
        "Acacia", "Birch", "Canal", "Chapel", "Church", "Dale", "Elm", "Ferry", "Field", "Forge", "Garden", "Granary",
        "Hawthorn", "High", "Kiln", "Lark", "Maple", "Meadow", "Mill", "Orchard", "Park", "Quarry", "Queen", "Rowan",
        "School", "Station", "Tannery", "Victoria", "Water", "Willow",
    ];

    private static readonly string[] StreetKinds = ["Street", "Road", "Lane", "Avenue", "Close", "Way", "Crescent", "Grove"];

    private static readonly string[] Towns = ["Northbridge", "Eastvale", "Kingsmoor", "Ashford Hill", "Millbrook", "Westerleigh"];

    private static readonly string[] Instructions =
    [
        "Gate code {0}.", "Leave with the concierge.", "Beware of the dog.", "Side entrance, blue door.",
        "Ring twice, flat on the second floor.", "Safe place: behind the recycling bins.", "Knock, the bell is broken.",
        "Business: open 9-17.", "Use the rear loading bay.",
    ];

    private static readonly char[] PostcodeLetters = "ABDEFGHJLNPQRSTUWXYZ".ToCharArray();

    /// <summary>Version 1 of a route's manifest.</summary>
    public static RouteManifest Initial(long seed, string routeId, int stopCount)
    {
        var random = SeededRandom.For(seed, "route", routeId);
        var manifest = new RouteManifest
        {
            RouteId = routeId,
            Version = 1,
            DriverId = $"DRV-{random.Digits(5)}",
            DepotId = $"DEPOT-{random.Next(1, 4)}",
        };

        // Stops spread around a route centre, a few kilometres from the depot.
        var centreLatitude = 52.20 + (random.NextDouble() * 0.30);
        var centreLongitude = -1.60 + (random.NextDouble() * 0.50);
        var town = random.Pick(Towns);
        for (var i = 1; i <= stopCount; i++)
        {
            manifest.Stops.Add(Stop(ref random, routeId, i, town, centreLatitude, centreLongitude));
        }

        return manifest;
    }

    /// <summary>
    /// The next version of <paramref name="current"/>: one small change (a stop added, two stops swapped or a stop's
    /// instructions changed), chosen from the seed, the route and the new version.
    /// </summary>
    public static RouteManifest NextVersion(long seed, RouteManifest current)
    {
        var next = current.Clone();
        next.Version = current.Version + 1;
        var random = SeededRandom.For(seed, "edit", current.RouteId, next.Version.ToString(CultureInfo.InvariantCulture));
        var stops = next.Stops;
        var change = stops.Count < 2 ? 0 : random.Next(3);
        switch (change)
        {
            case 0:
                {
                    var number = stops.Count + 1;
                    while (stops.Any(s => s.StopId == StopId(current.RouteId, number)))
                    {
                        number++;
                    }

                    var anchor = stops.Count > 0 ? stops[random.Next(stops.Count)] : null;
                    var stop = Stop(
                        ref random,
                        current.RouteId,
                        number,
                        anchor?.Address.City ?? random.Pick(Towns),
                        anchor?.Location.Latitude ?? 52.3,
                        anchor?.Location.Longitude ?? -1.4);
                    stops.Insert(random.Next(stops.Count + 1), stop);
                    break;
                }

            case 1:
                {
                    var a = random.Next(stops.Count);
                    var b = (a + random.Next(1, stops.Count)) % stops.Count;
                    (stops[a], stops[b]) = (stops[b], stops[a]);
                    break;
                }

            default:
                {
                    stops[random.Next(stops.Count)].Instructions = string.Format(
                        CultureInfo.InvariantCulture, random.Pick(Instructions), random.Digits(4));
                    break;
                }
        }

        Resequence(next);
        return next;
    }

    /// <summary>Numbers the stops 1, 2, 3, ... in list order.</summary>
    public static void Resequence(RouteManifest manifest)
    {
        for (var i = 0; i < manifest.Stops.Count; i++)
        {
            manifest.Stops[i].Sequence = i + 1;
        }
    }

    private static string StopId(string routeId, int number) => $"{routeId}-S{number:000}";

    private static Stop Stop(ref SeededRandom random, string routeId, int number, string town, double latitude, double longitude)
    {
        var stopId = StopId(routeId, number);
        var stop = new Stop
        {
            StopId = stopId,
            Sequence = number,
            Address = new Address
            {
                Line1 = $"{random.Next(1, 240)} {random.Pick(Streets)} {random.Pick(StreetKinds)}",
                Line2 = random.Chance(0.15) ? $"Flat {random.Next(1, 40)}" : "",
                City = town,
                PostalCode = Postcode(ref random),
                CountryCode = "GB",
            },
            Location = new GeoPoint
            {
                Latitude = Math.Round(latitude + ((random.NextDouble() - 0.5) * 0.06), 6),
                Longitude = Math.Round(longitude + ((random.NextDouble() - 0.5) * 0.09), 6),
            },
            Instructions = random.Chance(0.3)
                ? string.Format(CultureInfo.InvariantCulture, random.Pick(Instructions), random.Digits(4))
                : "",
            Confidential = random.Chance(0.03),
            PhotoOptOut = random.Chance(0.05),
            SignatureRequired = random.Chance(0.10),
            AgeCheck = random.Chance(0.03),
        };

        var packages = random.Chance(0.7) ? 1 : random.Next(2, 5);
        for (var k = 1; k <= packages; k++)
        {
            stop.Packages.Add(new Package
            {
                PackageId = $"{stopId}-P{k}",
                Barcode = $"JJD{random.Digits(14)}",
                WeightGrams = random.Next(100, 15_000),
            });
        }

        return stop;
    }

    private static string Postcode(ref SeededRandom random)
        => string.Create(CultureInfo.InvariantCulture,
            $"{random.Pick(PostcodeLetters)}{random.Pick(PostcodeLetters)}{random.Next(1, 20)} {random.Next(10)}{random.Pick(PostcodeLetters)}{random.Pick(PostcodeLetters)}");
}
