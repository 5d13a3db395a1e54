-- A ride never costs nothing: every fare includes the unlock fee.
select ride_id, fare_cents
from {{ ref('stg_rides') }}
where fare_cents <= 0
