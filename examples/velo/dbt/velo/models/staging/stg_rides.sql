select
    ride_id,
    bike_id,
    start_station_id,
    end_station_id,
    started_at,
    started_at + to_minutes(minutes) as ended_at,
    minutes as duration_minutes,
    {{ cents('fare') }} as fare_cents
from {{ ref('raw_rides') }}
