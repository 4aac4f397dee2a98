package cargometa

// ltoKind is cargo's per-unit LTO decision (cargo-units.md §6.4).
type ltoKind int

const (
	ltoUnset ltoKind = iota
	ltoOnlyObject
	ltoOnlyBitcode
	ltoObjectAndBitcode
	ltoOff
	ltoRun // with ltoRunArg
)

type ltoValue struct {
	kind ltoKind
	arg  string // for ltoRun: "" (fat, `-C lto`) or the named value
}

func canLTO(t string) bool { return t == "bin" || t == "staticlib" || t == "cdylib" }

func crateTypesForLTO(u *Unit) []string {
	if u.TestMode {
		return []string{"bin"}
	}
	return u.J.Target.CrateTypes
}

func needsObject(types []string) bool {
	for _, t := range types {
		if canLTO(t) || t == "dylib" || t == "cdylib" || t == "proc-macro" {
			return true
		}
	}
	return false
}

func allTypes(types []string, pred func(string) bool) bool {
	for _, t := range types {
		if !pred(t) {
			return false
		}
	}
	return len(types) > 0
}

func (p *Plan) computeLTO() {
	vals := make([]ltoValue, len(p.Units))
	set := make([]bool, len(p.Units))
	var walk func(u *Unit, parent ltoValue)
	walk = func(u *Unit, parent ltoValue) {
		types := crateTypesForLTO(u)
		var v ltoValue
		switch {
		case u.ForHost:
			v = ltoValue{kind: ltoOnlyObject}
		case allTypes(types, canLTO):
			v = profileLTO(u.J.Profile.LTO)
		default:
			needs := needsObject(types)
			isDylibOnly := allTypes(types, func(t string) bool { return t == "dylib" })
			switch {
			case parent.kind == ltoRun && !needs:
				v = ltoValue{kind: ltoOnlyBitcode}
			case (parent.kind == ltoRun || parent.kind == ltoOnlyBitcode) && needs:
				v = ltoValue{kind: ltoObjectAndBitcode}
				if isDylibOnly {
					v = ltoValue{kind: ltoOnlyObject}
				}
			case parent.kind == ltoOff:
				v = ltoValue{kind: ltoOff}
			default:
				v = parent
			}
		}
		if set[u.Index] {
			merged := mergeLTO(vals[u.Index], v)
			if merged == vals[u.Index] {
				return
			}
			v = merged
		}
		vals[u.Index], set[u.Index] = v, true
		for _, d := range u.Deps {
			walk(d, v)
		}
	}
	for _, r := range p.Q.Graph.Roots {
		u := p.Units[r]
		walk(u, rootLTO(u))
	}
	for i, u := range p.Units {
		if !set[i] || vals[i].kind == ltoUnset {
			vals[i] = ltoValue{kind: ltoOnlyObject}
		}
		u.LTO = vals[i].kind
		u.ltoArg = vals[i].arg
	}
}

func rootLTO(u *Unit) ltoValue {
	switch u.J.Profile.LTO {
	case "false":
		return ltoValue{kind: ltoOnlyObject}
	case "off":
		return ltoValue{kind: ltoOff}
	}
	types := crateTypesForLTO(u)
	switch {
	case u.ForHost:
		return ltoValue{kind: ltoOnlyObject}
	case needsObject(types):
		if allTypes(types, func(t string) bool { return t == "dylib" }) {
			return ltoValue{kind: ltoOnlyObject}
		}
		return ltoValue{kind: ltoObjectAndBitcode}
	}
	return ltoValue{kind: ltoOnlyBitcode}
}

func profileLTO(lto string) ltoValue {
	switch lto {
	case "false":
		return ltoValue{kind: ltoOnlyObject}
	case "off":
		return ltoValue{kind: ltoOff}
	case "true":
		return ltoValue{kind: ltoRun}
	}
	return ltoValue{kind: ltoRun, arg: lto}
}

func mergeLTO(a, b ltoValue) ltoValue {
	switch {
	case a == b:
		return a
	case a.kind == ltoRun:
		return a
	case b.kind == ltoRun:
		return b
	case a.kind == ltoOff || b.kind == ltoOff:
		return ltoValue{kind: ltoOff}
	}
	return ltoValue{kind: ltoObjectAndBitcode}
}

// ltoArgs renders the decision as rustc flags (§6.2 step 13).
func ltoArgs(u *Unit) []string {
	switch u.LTO {
	case ltoRun:
		if u.ltoArg == "" {
			return []string{"-C", "lto"}
		}
		return []string{"-C", "lto=" + u.ltoArg}
	case ltoOff:
		return []string{"-C", "lto=off", "-C", "embed-bitcode=no"}
	case ltoOnlyBitcode:
		return []string{"-C", "linker-plugin-lto"}
	case ltoOnlyObject:
		return []string{"-C", "embed-bitcode=no"}
	}
	return nil
}
