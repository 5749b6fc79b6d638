<?php
// What Laravel's Validator answers for Tracx participant payloads (the differential oracle).
//
// stdin: {"countries": ["nl", ...], "cases": [{"body": base64, "query": "a=b", "batch": bool,
//          "form": bool, "races": [1, ...]}, ...]}
// stdout: a JSON list, per case null (valid) or the 422 body Laravel 10+ would send.
//
// Debian ships Laravel 8's Validator; its rule semantics are Laravel 10's for every rule used
// here. The adjustments below make it speak the contract (see docs/decisions.md, "Tracx
// validation"): Laravel 10+ messages, Laravel 10's summary, Laravel 11's TrimStrings pattern,
// explicit per-index keys for batches, and startline's own rules (country,
// race in scope, NUL characters, a later duplicate unique_id).

require_once 'Illuminate/Validation/autoload.php';

use Illuminate\Contracts\Validation\ImplicitRule;
use Illuminate\Contracts\Validation\Rule;
use Illuminate\Translation\ArrayLoader;
use Illuminate\Translation\Translator;
use Illuminate\Validation\Validator;

// Laravel 10+ lang/en/validation.php lines for the rules in use (Laravel 8 words them differently).
const MESSAGES = [
    'validation.required' => 'The :attribute field is required.',
    'validation.string' => 'The :attribute field must be a string.',
    'validation.alpha_dash' => 'The :attribute field must only contain letters, numbers, dashes, and underscores.',
    'validation.max.string' => 'The :attribute field must not be greater than :max characters.',
    'validation.max.numeric' => 'The :attribute field must not be greater than :max.',
    'validation.max.array' => 'The :attribute field must not have more than :max items.',
    'validation.max.file' => 'The :attribute field must not be greater than :max kilobytes.',
    'validation.size.string' => 'The :attribute field must be :size characters.',
    'validation.size.numeric' => 'The :attribute field must be :size.',
    'validation.size.array' => 'The :attribute field must contain :size items.',
    'validation.size.file' => 'The :attribute field must be :size kilobytes.',
    'validation.date_format' => 'The :attribute field must match the format :format.',
    'validation.in' => 'The selected :attribute is invalid.',
    'validation.integer' => 'The :attribute field must be an integer.',
];

// Laravel's TrimStrings (Laravel 11's Str::trim; Laravel 10 lacks only U+200E): `\s` under /u,
// which PHP compiles with PCRE2_UCP, so every Unicode space is trimmed too (decision 18).
const TRIM_PATTERN = '~^[\s\x{FEFF}\x{200B}\x{200E}]+|[\s\x{FEFF}\x{200B}\x{200E}]+$~u';

final class IsoCountry implements Rule
{
    public function __construct(private array $codes) {}
    public function passes($attribute, $value): bool
    {
        return is_string($value) && strlen($value) === 2 && isset($this->codes[strtolower($value)]);
    }
    public function message(): string
    {
        return 'The :attribute field must be a valid ISO 3166-1 alpha-2 country code.';
    }
}

final class RaceInScope implements Rule
{
    public function __construct(private array $races) {}
    public function passes($attribute, $value): bool
    {
        // Asked only once `integer` passed; a non-integer is the integer rule's error alone.
        $id = filter_var($value, FILTER_VALIDATE_INT);
        return $id === false || in_array($id, $this->races, true);
    }
    public function message(): string
    {
        return 'The selected :attribute is invalid.';
    }
}

final class NoNul implements ImplicitRule
{
    public function passes($attribute, $value): bool
    {
        return ! is_string($value) || strpos($value, "\0") === false;
    }
    public function message(): string
    {
        return 'The :attribute field contains invalid characters.';
    }
}

final class NotEarlierDuplicate implements Rule
{
    public function __construct(private array $items, private int $index) {}
    public function passes($attribute, $value): bool
    {
        if (! is_string($value)) {
            return true;
        }
        for ($i = 0; $i < $this->index; $i++) {
            $item = $this->items[$i];
            if (is_array($item) && array_key_exists('unique_id', $item) && $item['unique_id'] === $value) {
                return false;
            }
        }
        return true;
    }
    public function message(): string
    {
        return 'The :attribute field has a duplicate value.';
    }
}

// Laravel 10's validateDateFormat(): PHP 8 throws ValueError for a NUL byte, which Laravel 10
// catches as a failed rule; Laravel 8 lets it escape (a 500).
final class Laravel10Validator extends Validator
{
    public function validateDateFormat($attribute, $value, $parameters)
    {
        try {
            return parent::validateDateFormat($attribute, $value, $parameters);
        } catch (ValueError) {
            return false;
        }
    }
}

function clean(mixed $value): mixed
{
    if (is_array($value)) {
        return array_map('clean', $value);
    }
    if (! is_string($value)) {
        return $value;
    }
    $value = preg_replace(TRIM_PATTERN, '', $value) ?? trim($value);
    return $value === '' ? null : $value;
}

function participant_rules(string $prefix, array $countries, array $races): array
{
    $nul = new NoNul();
    return [
        $prefix.'unique_id' => ['required', 'string', 'alpha_dash', 'max:100'],
        $prefix.'first_name' => ['required', 'string', 'max:100', $nul],
        $prefix.'last_name' => ['required', 'string', 'max:100', $nul],
        $prefix.'country_code' => ['nullable', new IsoCountry($countries), $nul],
        $prefix.'team_name' => ['nullable', 'string', 'max:100', $nul],
        $prefix.'date_of_birth' => ['required', 'date_format:Y-m-d', $nul],
        $prefix.'start_number' => ['required', 'alpha_dash', 'max:100', $nul],
        $prefix.'chip_code' => ['required', 'string', 'size:7', $nul],
        $prefix.'gender' => ['nullable', 'in:male,female,neutral', $nul],
        $prefix.'state' => ['nullable', 'in:before,during,paused,resumed,after,finished,did_not_finish,disqualified,did_not_start', $nul],
        $prefix.'race_id' => ['required', 'integer', new RaceInScope($races), $nul],
    ];
}

function request_data(array $case): array
{
    $body = base64_decode($case['body']);
    $data = json_decode($body, true, 512);
    if (json_last_error() !== JSON_ERROR_NONE) {
        $data = [];
        if ($case['form']) {
            parse_str($body, $data);
        }
    } elseif (! is_array($data)) {
        $data = [];  // a JSON scalar counts as empty (startline's choice)
    }
    if (! (array_is_list($data) && $data !== [])) {
        parse_str($case['query'], $query);
        $data = $data + $query;
    }
    return clean($data);
}

function summary(Validator $validator): ?array
{
    $errors = $validator->errors();
    if ($errors->isEmpty()) {
        return null;
    }
    // ValidationException::summarize() of Laravel 10+.
    $messages = $errors->all();
    $message = array_shift($messages);
    if ($count = count($messages)) {
        $message .= ' (and '.$count.' more '.($count === 1 ? 'error' : 'errors').')';
    }
    return ['message' => $message, 'errors' => $errors->messages()];
}

$input = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$countries = array_fill_keys($input['countries'], true);
$translator = new Translator(new ArrayLoader(), 'en');
$translator->addLines(MESSAGES, 'en');
$results = [];
foreach ($input['cases'] as $case) {
    $data = request_data($case);
    if ($case['batch']) {
        $rules = [];
        foreach ($data as $index => $item) {
            $itemRules = participant_rules($index.'.', $countries, $case['races']);
            $itemRules[$index.'.unique_id'][] = new NotEarlierDuplicate($data, $index);
            $itemRules[$index.'.unique_id'][] = new NoNul();
            $rules += $itemRules;
        }
    } else {
        $rules = participant_rules('', $countries, $case['races']);
        $rules['unique_id'][] = new NoNul();
    }
    $results[] = summary(new Laravel10Validator($translator, $data, $rules));
}
echo json_encode($results, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE), "\n";
