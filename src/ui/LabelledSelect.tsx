// A labelled <select> over a record of option labels (role "combobox", named by its label).
interface Props<K extends string> {
  label: string;
  value: K;
  options: Record<K, string>;
  onChange: (value: K) => void;
}

export function LabelledSelect<K extends string>({ label, value, options, onChange }: Props<K>) {
  return (
    <label>
      {label}
      <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value as K)}>
        {(Object.entries(options) as [K, string][]).map(([id, text]) => (
          <option key={id} value={id}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}
