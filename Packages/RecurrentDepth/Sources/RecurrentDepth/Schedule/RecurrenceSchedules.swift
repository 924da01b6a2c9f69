/// The schedules this package ships, by registry name: what `loop train --schedule NAME:key=value`
/// builds and `loop list` shows. The dynamic schedule's defaults are `DynamicRecurrence()`'s.
public typealias ScheduleRegistry = ComponentTable<any RecurrenceSchedule>

extension ComponentTable where Product == any RecurrenceSchedule {
    /// `fixed` and `dynamic`.
    public static var builtIn: ScheduleRegistry {
        let fixed = Component<any RecurrenceSchedule>(
            name: "fixed", summary: "the same recurrence r for every batch", parameters: [ParameterSpec("r", default: "4", "recurrence steps")]
        ) { p in
            FixedRecurrence(try p.number("r") { $0 >= 1 ? nil : "must be at least 1" })
        }
        let reference = DynamicRecurrence()
        let dynamic = Component<any RecurrenceSchedule>(
            name: "dynamic", summary: "r ~ Poisson(mean) per batch, clamped to [min, max] (the reference's)",
            parameters: [ParameterSpec("mean", default: "\(reference.mean)", "Poisson mean"),
                         ParameterSpec("min", default: "\(reference.minimum)", "smallest r"),
                         ParameterSpec("max", default: "\(reference.maximum)", "largest r (evaluation runs to it)")]
        ) { p in
            let mean: Double = try p.number("mean") { $0 > 0 ? nil : "must be positive" }
            let low: Int = try p.number("min") { $0 >= 1 ? nil : "must be at least 1" }
            let high: Int = try p.number("max")
            guard high >= low else { throw p.invalid("min", "exceeds max (\(high))") }
            return DynamicRecurrence(mean: mean, minimum: low, maximum: high)
        }
        return ScheduleRegistry(kind: "schedule", components: [fixed, dynamic])
    }
}
